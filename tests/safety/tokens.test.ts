import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseHttpTokens } from '../../src/policy/tokens.js';

const T1 = 'tok-aaaaaaaaaaaaaaaa';
const T2 = 'tok-bbbbbbbbbbbbbbbb';

describe('DECKHAND_HTTP_TOKENS', () => {
  it('reads name=token and name=token:mode, comma-separated', () => {
    expect(parseHttpTokens(`ci=${T1}:read-only, ops=${T2}`)).toEqual({
      tokens: [
        { name: 'ci', token: T1, policy: { mode: 'read-only' } },
        { name: 'ops', token: T2 },
      ],
    });
  });

  it('reads a JSON list with full policies', () => {
    const json = JSON.stringify([{ name: 'ci', token: T1, policy: { mode: 'ask', deny: ['rm **'] } }]);
    expect(parseHttpTokens(json)).toEqual({
      tokens: [{ name: 'ci', token: T1, policy: { mode: 'ask', deny: ['rm **'] } }],
    });
  });

  it.each([
    [`ci${T1}`, 'entry 1 is not name=token'],
    [`ci=${T1}:sometimes`, 'must be a mode'],
    ['ci=short', 'at least 16 characters'],
    [`Bad=${T1}`, 'lower-case'],
    [`default=${T1}`, 'the name of DECKHAND_HTTP_TOKEN'],
    [`ci=${T1},ci=${T2}`, 'appears twice'],
    [`ci=${T1},ops=${T1}`, 'same token'],
    ['[{"name": "ci"}]', 'entry 0.token'],
    ['[{"name": "ci", "token": "' + T1 + '", "policy": {"deny": ["a \'b"]}}]', 'unclosed'],
    ['[nope', 'not valid JSON'],
  ])('refuses %s, saying what is wrong', (text, message) => {
    const r = parseHttpTokens(text);
    expect('error' in r && r.error).toContain(message);
  });

  it('config: DECKHAND_HTTP_TOKEN is "default", the named ones follow; token values never appear in errors', () => {
    const c = loadConfig({ DECKHAND_HTTP_TOKEN: T1, DECKHAND_HTTP_TOKENS: `ci=${T2}:read-only` });
    expect(c.http.tokens).toEqual([
      { name: 'default', token: T1 },
      { name: 'ci', token: T2, policy: { mode: 'read-only' } },
    ]);
    expect(() => loadConfig({ DECKHAND_HTTP_TOKENS: `ci=${T2}:maybe` })).toThrow(ConfigError);
    try {
      loadConfig({ DECKHAND_HTTP_TOKENS: `ci=${T2}:maybe` });
    } catch (err) {
      expect(String(err)).toContain('DECKHAND_HTTP_TOKENS=(hidden)');
      expect(String(err)).not.toContain(T2);
    }
    expect(() => loadConfig({ DECKHAND_HTTP_TOKEN: T1, DECKHAND_HTTP_TOKENS: `ci=${T1}` })).toThrow(
      /give each token once/,
    );
    expect(loadConfig({}).safety).toEqual({ approvalTtlS: 600, auditRetainDays: 365 });
  });
});
