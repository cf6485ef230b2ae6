import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env, '/home/someone');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has sensible defaults and a frozen result', () => {
    const c = loadConfig({}, '/home/someone');
    expect(c).toMatchObject({
      home: '/home/someone/.deckhand',
      logLevel: 'info',
      logFile: undefined,
      connectTimeoutMs: 10_000,
      keepaliveIntervalMs: 15_000,
      output: { headLines: 100, tailLines: 200, maxBytes: 64 * 1024 },
      http: { token: undefined, allowedHosts: [], allowedOrigins: [] },
      jobs: {
        maxJobs: 64,
        maxPerServer: 4,
        defaultTimeoutS: 3600,
        retainDays: 90,
        ownerTimeoutS: 15,
        logRetainDays: 30,
        logsMaxTotalBytes: 8 * 1024 ** 3,
      },
      store: { databaseUrl: undefined, secretKey: undefined },
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.output)).toBe(true);
    expect(Object.isFrozen(c.http)).toBe(true);
    expect(Object.isFrozen(c.http.allowedOrigins)).toBe(true);
  });

  it('reads every setting from the environment', () => {
    const c = loadConfig(
      {
        DECKHAND_HOME: 'rel/home',
        DECKHAND_LOG_LEVEL: 'debug',
        DECKHAND_LOG_FILE: '/tmp/deckhand.log',
        DECKHAND_CONNECT_TIMEOUT_S: '3',
        DECKHAND_KEEPALIVE_S: ' 7 ',
        DECKHAND_OUTPUT_HEAD_LINES: '0',
        DECKHAND_OUTPUT_TAIL_LINES: '5',
        DECKHAND_OUTPUT_MAX_BYTES: '2048',
        DECKHAND_HTTP_TOKEN: 'x'.repeat(32),
        DECKHAND_HTTP_ALLOWED_HOSTS: 'deckhand.internal, 10.0.0.5 ,',
        DECKHAND_HTTP_ALLOWED_ORIGINS: 'https://app.example,http://localhost:3000',
        UNRELATED: 'ignored',
      },
      '/home/someone',
    );
    expect(c.home).toBe(path.resolve('rel/home'));
    expect(c.logLevel).toBe('debug');
    expect(c.logFile).toBe('/tmp/deckhand.log');
    expect(c.connectTimeoutMs).toBe(3000);
    expect(c.keepaliveIntervalMs).toBe(7000);
    expect(c.output).toEqual({ headLines: 0, tailLines: 5, maxBytes: 2048 });
    expect(c.http.token).toBe('x'.repeat(32));
    expect(c.http.allowedHosts).toEqual(['deckhand.internal', '10.0.0.5']);
    expect(c.http.allowedOrigins).toEqual(['https://app.example', 'http://localhost:3000']);
  });

  it('treats an empty variable as unset instead of as zero', () => {
    const c = loadConfig(
      { DECKHAND_OUTPUT_HEAD_LINES: '', DECKHAND_CONNECT_TIMEOUT_S: ' ', DECKHAND_HOME: '', DECKHAND_HTTP_TOKEN: '' },
      '/home/someone',
    );
    expect(c.output.headLines).toBe(100);
    expect(c.connectTimeoutMs).toBe(10_000);
    expect(c.home).toBe('/home/someone/.deckhand');
    expect(c.http.token).toBeUndefined();
  });

  it('names the variable, the value and what was expected', () => {
    const notNumber = errorOf({ DECKHAND_CONNECT_TIMEOUT_S: 'ten' });
    expect(notNumber).toContain('DECKHAND_CONNECT_TIMEOUT_S="ten"');
    expect(notNumber).toMatch(/number/i);

    const tooSmall = errorOf({ DECKHAND_CONNECT_TIMEOUT_S: '0' });
    expect(tooSmall).toContain('DECKHAND_CONNECT_TIMEOUT_S="0"');
    expect(tooSmall).toMatch(/greater than or equal to 1/);

    const tooBig = errorOf({ DECKHAND_MAX_JOBS: '100000' });
    expect(tooBig).toContain('DECKHAND_MAX_JOBS="100000"');
    expect(tooBig).toMatch(/less than or equal to 1024/);

    expect(errorOf({ DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES: '1000' })).toMatch(
      /DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES="1000": .*greater than or equal to 67108864/,
    );
    expect(loadConfig({ DECKHAND_JOB_LOGS_RETAIN_DAYS: '7' }, '/h').jobs.logRetainDays).toBe(7);

    expect(errorOf({ DECKHAND_OUTPUT_HEAD_LINES: '1.5' })).toMatch(/DECKHAND_OUTPUT_HEAD_LINES="1.5": .*integer/);

    const level = errorOf({ DECKHAND_LOG_LEVEL: 'loud' });
    expect(level).toContain('DECKHAND_LOG_LEVEL="loud"');
    expect(level).toMatch(/'info'/);
  });

  it('lists every bad variable at once', () => {
    const m = errorOf({ DECKHAND_KEEPALIVE_S: '-1', DECKHAND_OUTPUT_MAX_BYTES: '10', DECKHAND_LOG_LEVEL: 'x' });
    expect(m).toContain('DECKHAND_KEEPALIVE_S');
    expect(m).toContain('DECKHAND_OUTPUT_MAX_BYTES');
    expect(m).toContain('DECKHAND_LOG_LEVEL');
  });

  it('never shows a database URL or secret key it refuses', () => {
    const m = errorOf({ DECKHAND_DATABASE_URL: 'mysql://u:hunter2@db/x' });
    expect(m).toContain('DECKHAND_DATABASE_URL=(hidden)');
    expect(m).toMatch(/postgres:\/\//);
    expect(m).not.toContain('hunter2');
  });

  it('never shows the token it refuses', () => {
    const m = errorOf({ DECKHAND_HTTP_TOKEN: 'short-secret' });
    expect(m).toContain('DECKHAND_HTTP_TOKEN=(hidden)');
    expect(m).toMatch(/16 characters/);
    expect(m).not.toContain('short-secret');
  });
});
