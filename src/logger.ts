import pino, { type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Paths pino blanks out wherever they appear, so secrets never reach a log line. */
export const REDACT_PATHS = [
  'password',
  'passphrase',
  'token',
  'secret',
  'privateKey',
  'private_key',
  'authorization',
  '*.password',
  '*.passphrase',
  '*.token',
  '*.secret',
  '*.privateKey',
  '*.authorization',
  'env',
  '*.env',
  'headers.authorization',
  'req.headers.authorization',
];

/**
 * stdout is the MCP protocol in stdio mode: logs go to stderr (fd 2) or a file, never fd 1. JSON lines everywhere,
 * except a person's terminal (`pretty`), which gets one readable line per entry.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFile'>, opts: { pretty?: boolean } = {}): Logger {
  const dest = config.logFile
    ? pino.destination({ dest: config.logFile, mkdir: true, sync: false })
    : opts.pretty
      ? readableLines(pino.destination(2))
      : pino.destination(2);
  return pino(
    { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name: 'deckhand' } },
    dest,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const BASE_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** `12:04:05 WARN message key=value …` from pino's JSON line; a line that is not JSON passes as it is. */
export function readableLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 19) : '';
  const level = LEVELS[Number(o.level)] ?? String(o.level);
  const extra = Object.entries(o)
    .filter(([k]) => !BASE_KEYS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level.padEnd(5)} ${String(o.msg ?? '')}${extra ? ` ${extra}` : ''}\n`;
}

function readableLines(out: { write(s: string): unknown }): { write(s: string): void } {
  return { write: (s) => void out.write(readableLine(s.trimEnd())) };
}
