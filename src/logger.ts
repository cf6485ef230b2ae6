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

/** stdout is the MCP protocol in stdio mode: logs go to stderr (fd 2) or a file, never fd 1. */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFile'>): Logger {
  const dest = config.logFile
    ? pino.destination({ dest: config.logFile, mkdir: true, sync: false })
    : pino.destination(2);
  return pino(
    { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name: 'deckhand' } },
    dest,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
