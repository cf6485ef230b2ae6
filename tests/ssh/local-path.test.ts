import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confineLocalPath } from '../../src/ssh/local-path.js';
import { errorOf } from '../helpers/ssh-client.js';

describe('confineLocalPath', () => {
  let base: string;
  let root: string;
  beforeAll(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-root-')));
    root = path.join(base, 'files');
    fs.mkdirSync(path.join(root, 'in'), { recursive: true });
    fs.writeFileSync(path.join(base, 'secret'), 'x');
    fs.writeFileSync(path.join(root, 'in', 'ok.txt'), 'x');
    fs.symlinkSync(path.join(base, 'secret'), path.join(root, 'escape'));
    fs.symlinkSync(base, path.join(root, 'updir'));
    fs.symlinkSync(path.join(base, 'not-yet'), path.join(root, 'dangling'));
    fs.symlinkSync(path.join(root, 'in'), path.join(root, 'inner-link'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('resolves paths inside the root, relative or absolute, existing or not', async () => {
    expect(await confineLocalPath(root, 'in/ok.txt')).toBe(path.join(root, 'in', 'ok.txt'));
    expect(await confineLocalPath(root, path.join(root, 'in', 'new', 'file.bin'))).toBe(
      path.join(root, 'in', 'new', 'file.bin'),
    );
    expect(await confineLocalPath(root, 'in/../in/x')).toBe(path.join(root, 'in', 'x'));
    expect(await confineLocalPath(root, 'inner-link/ok.txt')).toBe(path.join(root, 'in', 'ok.txt'));
  });

  it('refuses .., absolute paths and symlinks that lead out, and an unset root', async () => {
    for (const p of [
      '../secret',
      '/etc/passwd',
      'in/../../secret',
      'escape',
      'updir/secret',
      'updir/new-file',
      'dangling',
    ]) {
      const err = await errorOf(confineLocalPath(root, p));
      expect([p, err.code]).toEqual([p, 'path_outside_files_root']);
    }
    expect((await errorOf(confineLocalPath(undefined, 'x'))).code).toBe('files_root_unset');
    expect((await errorOf(confineLocalPath('', 'x'))).code).toBe('files_root_unset');
    expect((await errorOf(confineLocalPath(path.join(base, 'nope'), 'x'))).code).toBe('files_root_missing');
  });
});
