import { describe, expect, it } from 'vitest';
import { parseImageRef, pinnedImageProblem } from '../../src/apps/render/images.js';

describe('image references', () => {
  it('parses registry ports, tags and digests', () => {
    expect(parseImageRef('postgres:17.9-alpine')).toEqual({ name: 'postgres', tag: '17.9-alpine', digest: undefined });
    expect(parseImageRef('localhost:5000/app')).toEqual({
      name: 'localhost:5000/app',
      tag: undefined,
      digest: undefined,
    });
    expect(parseImageRef(`ghcr.io/a/b:1@sha256:${'0'.repeat(64)}`)?.digest).toBe(`sha256:${'0'.repeat(64)}`);
    expect(parseImageRef('library/Nginx:1')).toBeUndefined();
    expect(parseImageRef('a b:1')).toBeUndefined();
  });

  it('accepts only pinned references', () => {
    expect(pinnedImageProblem('traefik/whoami:v1.11.0')).toBeUndefined();
    expect(pinnedImageProblem(`nginx@sha256:${'f'.repeat(64)}`)).toBeUndefined();
    expect(pinnedImageProblem('nginx:latest')).toMatch(/uses :latest/);
    expect(pinnedImageProblem('nginx:LATEST')).toMatch(/uses :latest/);
    expect(pinnedImageProblem('localhost:5000/app')).toMatch(/has no tag/);
    expect(pinnedImageProblem('nginx:$TAG')).toMatch(/uses a variable/);
    expect(pinnedImageProblem('nginx:')).toMatch(/is not a valid image reference/);
  });
});
