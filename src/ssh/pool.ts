import type { Client, ClientChannel } from 'ssh2';
import { DeckhandError } from '../errors.js';
import { bastionError, bastionFor, forwardError, forwardOut } from './bastion.js';
import { openConnection, type HostKeyPolicy, type Opened } from './connect.js';
import { openSftp, type SftpSession } from './sftp.js';
import type { ConnectionTarget } from './target.js';

export type { HostKeyPolicy } from './connect.js';
export type { ConnectionTarget } from './target.js';

export interface PoolOptions {
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly env: NodeJS.ProcessEnv;
  /** Channels opened on one connection before another is opened (OpenSSH allows 10 by default). */
  readonly maxChannelsPerConnection?: number;
  readonly maxConnectionsPerServer?: number;
  readonly onEvent?: (event: PoolEvent) => void;
  /** Looks up a bastion named by a target's `via` (the inventory, for registered servers). */
  readonly resolveVia?: (name: string) => ConnectionTarget | undefined;
}

export type PoolEvent =
  | { type: 'connect'; server: string; connection: number; via?: string }
  | { type: 'close'; server: string; connection: number; reason?: string };

export interface ProbeResult {
  readonly fingerprint: string;
  readonly keyType: string;
}

/** A pooled connection; `release()` must be called once for each `acquire()`. */
export interface Lease {
  readonly client: Client;
  readonly connectionId: number;
  release(): void;
  /** Marks the connection dead (e.g. a channel failed to open) so the pool stops handing it out. */
  discard(): void;
  /**
   * The connection's SFTP session, opened on first use and kept for every later lease (file reads and writes
   * pass it instead of the client, sparing a channel and an sftp-server process per call). It takes one of the
   * session slots sshd allows (MaxSessions, 10 by default), which maxChannelsPerConnection (8) leaves free.
   */
  sftp(): Promise<SftpSession>;
}

interface Conn {
  id: number;
  server: string;
  /** Set once the connection is ready; undefined while it connects or after it failed to. */
  client: Client | undefined;
  ready: Promise<void>;
  channels: number;
  dead: boolean;
  fingerprint: string;
  user: string;
  sftp: Promise<SftpSession> | undefined;
}

/**
 * SSH connections per server, reused across calls. Each server has its own connections, so a wedged
 * server never blocks another; a dead connection is dropped and the next acquire opens a fresh one.
 * A server behind a bastion (`via`) is reached through the bastion's own pooled connection, shared by every
 * server behind it.
 */
export class SshPool {
  private readonly conns = new Map<string, Conn[]>();
  /** Discarded connections that still carry commands: closed when their last lease is released. */
  private readonly draining = new Set<Conn>();
  private closed = false;
  private nextConnId = 1;

  constructor(private readonly opts: PoolOptions) {}

  /** Opens a one-off connection to learn and check the host key (used by add-server). */
  async probe(server: ConnectionTarget, policy: HostKeyPolicy): Promise<ProbeResult> {
    const conn = await this.open(server, policy, 'given');
    conn.client.end();
    return { fingerprint: conn.fingerprint, keyType: conn.keyType };
  }

  async acquire(server: ConnectionTarget, signal?: AbortSignal): Promise<Lease> {
    const maxCh = this.opts.maxChannelsPerConnection ?? 8;
    const maxConns = this.opts.maxConnectionsPerServer ?? 4;
    for (;;) {
      signal?.throwIfAborted();
      // Checked on every turn: a connection forgotten by close() while we waited must not be replaced.
      if (this.closed) throw new DeckhandError('shutting_down', 'deckhand is shutting down.');
      const list = this.liveConnections(server);
      let conn = list.find((c) => c.channels < maxCh);
      if (!conn && list.length < maxConns) {
        conn = this.startConnection(server);
      }
      if (!conn) {
        // Every connection is at its channel limit: wait briefly for one to free up.
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      conn.channels++;
      try {
        await withAbort(conn.ready, signal);
      } catch (err) {
        conn.channels--;
        throw err;
      }
      if (conn.dead) {
        conn.channels--;
        continue;
      }
      return this.lease(server.name, conn, conn.client as Client);
    }
  }

  /** Number of open connections to a server (tests check pool reuse through it). */
  connectionCount(serverName: string): number {
    return (this.conns.get(serverName) ?? []).filter((c) => !c.dead).length;
  }

  /** Drops every connection to a server, e.g. after remove-server. */
  forget(serverName: string): void {
    for (const c of this.conns.get(serverName) ?? []) {
      c.dead = true;
      // A connection still connecting has no client yet: startConnection ends it once it is ready.
      c.client?.end();
    }
    this.conns.delete(serverName);
    for (const c of this.draining) {
      if (c.server !== serverName) continue;
      c.client?.end();
      this.draining.delete(c);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const name of [...this.conns.keys()]) this.forget(name);
  }

  private liveConnections(server: ConnectionTarget): Conn[] {
    const list = (this.conns.get(server.name) ?? []).filter((c) => !c.dead);
    this.conns.set(server.name, list);
    return list;
  }

  private lease(serverName: string, conn: Conn, client: Client): Lease {
    let released = false;
    return {
      client,
      connectionId: conn.id,
      release: () => {
        if (released) return;
        released = true;
        conn.channels--;
        if (conn.channels === 0 && this.draining.delete(conn)) client.end();
      },
      discard: () => {
        if (conn.dead) return;
        // No new leases; but a refused channel does not prove the connection dead, and ending it now would kill
        // every other command running on it. It is closed once the last of them releases it (or it dies by itself).
        conn.dead = true;
        this.opts.onEvent?.({ type: 'close', server: serverName, connection: conn.id, reason: 'discarded' });
        if (conn.channels <= 0) client.end();
        else this.draining.add(conn);
      },
      sftp: () => {
        if (conn.sftp) return conn.sftp;
        const p = openSftp(client, conn.user);
        const forget = () => {
          if (conn.sftp === p) conn.sftp = undefined;
        };
        p.then((s) => s.raw.once('close', forget), forget);
        conn.sftp = p;
        return p;
      },
    };
  }

  private startConnection(server: ConnectionTarget): Conn {
    const conn: Conn = {
      id: 0,
      server: server.name,
      client: undefined,
      ready: Promise.resolve(),
      channels: 0,
      dead: false,
      fingerprint: '',
      user: server.user,
      sftp: undefined,
    };
    conn.ready = this.open(server, { expected: server.host_key_fingerprint }).then(
      (opened) => {
        if (conn.dead) {
          // Forgotten (remove-server, shutdown) while it was connecting.
          opened.client.end();
          return;
        }
        conn.id = opened.id;
        conn.client = opened.client;
        conn.fingerprint = opened.fingerprint;
        const onGone = (reason: string) => {
          this.draining.delete(conn);
          if (!conn.dead) {
            conn.dead = true;
            this.opts.onEvent?.({ type: 'close', server: server.name, connection: conn.id, reason });
          }
        };
        opened.client.on('close', () => onGone('closed'));
        opened.client.on('end', () => onGone('ended'));
        opened.client.on('error', (e: Error) => onGone(e.message));
      },
      (err: unknown) => {
        conn.dead = true;
        throw err;
      },
    );
    // The failure is delivered to whoever awaits `ready`; this keeps an unawaited rejection from crashing the process.
    conn.ready.catch(() => undefined);
    const list = this.conns.get(server.name) ?? [];
    list.push(conn);
    this.conns.set(server.name, list);
    return conn;
  }

  /** One connection: directly, or through the bastion's pooled connection when the target names one. */
  private async open(
    target: ConnectionTarget,
    policy: HostKeyPolicy,
    source: 'pinned' | 'given' = 'pinned',
  ): Promise<{ id: number; client: Client; fingerprint: string; keyType: string }> {
    const bastion = bastionFor(target, this.opts.resolveVia);
    const opened = bastion
      ? await this.openThrough(bastion, target, policy, source)
      : await openConnection(target, policy, this.opts, { source });
    const id = this.nextConnId++;
    this.opts.onEvent?.({
      type: 'connect',
      server: target.name,
      connection: id,
      ...(bastion ? { via: bastion.name } : {}),
    });
    return { id, ...opened };
  }

  /**
   * A direct-tcpip channel from the bastion's pooled connection carries the target's own SSH session, so the
   * target's host key is checked end to end as on a direct connection. The channel holds a lease on the bastion
   * connection for as long as the target connection lives.
   */
  private async openThrough(
    bastion: ConnectionTarget,
    target: ConnectionTarget,
    policy: HostKeyPolicy,
    source: 'pinned' | 'given',
  ): Promise<Opened> {
    const lease = await this.acquire(bastion).catch((err: unknown) => {
      throw bastionError(err, bastion, target);
    });
    let channel: ClientChannel;
    try {
      channel = await forwardOut(lease.client, target.host, target.port);
    } catch (err) {
      const e = forwardError(err, bastion, target);
      if (e.code === 'bastion_unreachable') lease.discard();
      lease.release();
      throw e;
    }
    let opened: Opened;
    try {
      opened = await openConnection(target, policy, this.opts, { source, sock: channel });
    } catch (err) {
      channel.destroy();
      lease.release();
      throw err;
    }
    opened.client.once('close', () => lease.release());
    // When the bastion goes, the channel closes and so does the target connection.
    channel.once('close', () => opened.client.end());
    return opened;
  }
}

function withAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
