import { describe, expect, it } from 'vitest';
import { generateSecret, resolveSecrets } from '../../src/apps/render/secrets.js';
import { catalogue, counterRandom } from './helpers.js';

describe('resolveSecrets', () => {
  const n8n = catalogue.get('n8n');

  it('generates the secrets an app declares, once', () => {
    const first = resolveSecrets(n8n, {});
    expect(first.generated).toEqual(['N8N_ENCRYPTION_KEY']);
    expect(first.secrets.N8N_ENCRYPTION_KEY).toMatch(/^[A-Za-z0-9]{48}$/);

    const again = resolveSecrets(n8n, first.secrets);
    expect(again.generated).toEqual([]);
    expect(again.secrets).toEqual(first.secrets);
  });

  it('reuses stored values, regenerates empty ones and drops keys the app does not declare', () => {
    const out = resolveSecrets(catalogue.get('postgres'), { POSTGRES_PASSWORD: '', OLD_KEY: 'x' }, counterRandom());
    expect(out.generated).toEqual(['POSTGRES_PASSWORD']);
    expect(Object.keys(out.secrets)).toEqual(['POSTGRES_PASSWORD']);
    expect(resolveSecrets(catalogue.get('postgres'), { POSTGRES_PASSWORD: 'kept' }).secrets.POSTGRES_PASSWORD).toBe(
      'kept',
    );
  });

  it('uses the injected random source and nothing else', () => {
    const a = resolveSecrets(n8n, {}, counterRandom(7));
    const b = resolveSecrets(n8n, {}, counterRandom(7));
    expect(a).toEqual(b);
    expect(resolveSecrets(n8n, {}, counterRandom(8)).secrets).not.toEqual(a.secrets);
  });

  it('returns nothing for apps without secrets', () => {
    expect(resolveSecrets(catalogue.get('whoami'), {})).toEqual({ secrets: {}, generated: [] });
  });
});

describe('generateSecret', () => {
  it('honours length and charset', () => {
    expect(generateSecret({ length: 64, charset: 'hex' })).toMatch(/^[0-9a-f]{64}$/);
    expect(generateSecret({ length: 16, charset: 'alphanumeric' })).toMatch(/^[A-Za-z0-9]{16}$/);
  });

  it('drops biased bytes instead of folding them onto the alphabet', () => {
    // 248..255 would map onto the first 8 characters again; only 0x00 (→ 'A') may be used.
    const random = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i % 2 === 0 ? 250 : 0));
    expect(generateSecret({ length: 16, charset: 'alphanumeric' }, random)).toBe('A'.repeat(16));
  });

  it('gives up on a random source that never yields usable bytes', () => {
    expect(() => generateSecret({ length: 16, charset: 'alphanumeric' }, (n) => new Uint8Array(n).fill(255))).toThrow(
      /unusable bytes/,
    );
  });
});
