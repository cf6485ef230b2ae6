import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './sshd.js';

/**
 * A throwaway PostgreSQL cluster for one test file (testing.md): initdb as the postgres user in a temp dir, a free
 * loopback port, fsync off (these tests do not test the disk), removed by `stop`. A database per test keeps tests
 * apart. When it cannot start one it FAILS with what to install; it never skips.
 */
export interface PgCluster {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** A connection URL for a database of this cluster. */
  url(database: string): string;
  /** A new empty database; answers its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server at once, as a crash would (`pg_ctl -m immediate`), leaving its data. */
  crash(): void;
  /** Starts it again on the same port. */
  start(): void;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error(
      'PostgreSQL is not installed: these tests need a real server. Run `apt-get update && apt-get install -y postgresql` ' +
        '(it gives /usr/lib/postgresql/<version>/bin/initdb); .ci/run installs it in CI.',
    );
  return path.join(root, versions[0] as string, 'bin');
}

/** Postgres refuses to run as root: as root, run its tools as the postgres user. */
function runAs(): (cmd: string, args: string[]) => string {
  const root = process.getuid?.() === 0;
  if (root) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        'The system user "postgres" is missing: install the postgresql package (apt-get install -y postgresql).',
      );
    }
  }
  return (cmd, args) =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', stdio: 'pipe' })
      : execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' });
}

/** `durable`: fsync on, as a real server runs (benchmarks); tests leave it off. */
export async function startPostgres(opts: { durable?: boolean } = {}): Promise<PgCluster> {
  const bin = binDir();
  const run = runAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  const port = await freePort();
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'log');
  const ctl = (args: string[]) => run(path.join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const start = () =>
    ctl([
      '-l',
      log,
      '-w',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=${opts.durable ? 'on' : 'off'} -c max_wal_size=4GB`,
      'start',
    ]);
  try {
    run(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8']);
    start();
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr ?? String(err);
    const logText = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`Could not start a test PostgreSQL cluster: ${detail}\n${logText}`);
  }
  let n = 0;
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    host: '127.0.0.1',
    port,
    dir,
    url,
    async createDatabase() {
      const name = `deckhand_test_${process.pid}_${++n}`;
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      try {
        await c.query(`create database ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    crash() {
      ctl(['-m', 'immediate', 'stop']);
    },
    start() {
      start();
    },
    async stop() {
      try {
        ctl(['-m', 'immediate', 'stop']);
      } catch {
        // Already stopped.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
