import { publicServer, type Inventory, type ServerRecord } from '../servers/index.js';
import type { HandlerOutcome, JobContext, JobHandler } from '../jobs/handler.js';
import {
  createOrAdoptServer,
  md5Fingerprint,
  renderCloudInit,
  type Provider,
  type ProviderServer,
} from '../providers/index.js';
import type { SshPool } from '../ssh/pool.js';
import { DeckhandError } from '../errors.js';
import { loginKeyFor } from './deckhand-key.js';
import type { SharedDeckhandKey } from './shared-key.js';
import { decodeHostKeyLabel, encodeHostKeyLabel, HOST_KEY_LABEL } from './host-key-label.js';
import { loadOrCreateHostKey } from './host-key-store.js';
import { missingProviderError, type ProviderFactory } from './provider.js';
import { StepTracker, stepsOutcome } from '../jobs/kit/steps.js';
import { verifyHostKey, waitForSshBanner } from './wait-ssh.js';
import { pause } from '../timing.js';

export interface CreateServerParams {
  readonly name: string;
  readonly server_type: string;
  readonly location: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ssh_public_key_path?: string | undefined;
}

export const CREATE_STEPS = [
  'ensure-ssh-key',
  'create-server',
  'wait-for-actions',
  'wait-for-ssh',
  'verify-host-key',
  'add-to-inventory',
] as const;

export interface CreateServerHandlerOptions {
  readonly home: string;
  readonly inventory: Inventory;
  readonly pool: SshPool;
  readonly provider: ProviderFactory | undefined;
  /** PostgreSQL mode: deckhand's key shared by every instance. */
  readonly deckhandKey?: SharedDeckhandKey;
  /** Bounds for the waits (default 10 min for boot and SSH, 3 min for the host key check). */
  readonly bootTimeoutMs?: number;
  readonly verifyTimeoutMs?: number;
}

type Trust = 'injected' | 'pinned' | 'first-use';

/** create-server as a job: each step adopts what an earlier run (or an earlier call) already did. */
export class CreateServerHandler implements JobHandler {
  constructor(private readonly o: CreateServerHandlerOptions) {}

  async run(ctx: JobContext): Promise<HandlerOutcome> {
    const p = ctx.job.params as unknown as CreateServerParams;
    const steps = new StepTracker(ctx, CREATE_STEPS);
    const result: Record<string, unknown> = { name: p.name, steps: steps.reports };
    try {
      if (!this.o.provider) throw missingProviderError();
      const provider = this.o.provider((e) =>
        ctx.note(`${e.method} ${e.path}: ${e.reason}; retry ${e.attempt} in ${Math.round(e.delayMs)} ms`),
      );
      const signal = ctx.signal;
      if (p.ssh_public_key_path === undefined) await this.o.deckhandKey?.ensure();
      const login = loginKeyFor(this.o.home, p.ssh_public_key_path);

      const key = await steps.run('ensure-ssh-key', async () => {
        const fp = md5Fingerprint(login.publicKey);
        const k = await provider.ensureSshKey(
          { name: `deckhand-${fp.replace(/:/g, '').slice(0, 12)}`, publicKey: login.publicKey },
          { signal },
        );
        return { status: 'ok', detail: `${k.name} (id ${k.id}, ${k.fingerprint})`, value: k };
      });

      const created = await steps.run('create-server', async () => {
        const known = await this.o.inventory.find(p.name);
        if (known && !known.provider) {
          throw new DeckhandError(
            'server_exists',
            `"${p.name}" is already registered with add-server and deckhand did not create it.`,
            {
              hint: 'Choose another name for the new server.',
            },
          );
        }
        const hostKey = await loadOrCreateHostKey(ctx.files);
        const r = await createOrAdoptServer(
          provider,
          {
            name: p.name,
            serverType: p.server_type,
            location: p.location,
            image: p.image,
            labels: { ...p.labels, [HOST_KEY_LABEL]: encodeHostKeyLabel(hostKey.fingerprint) },
            sshKeyIds: [key!.id],
            userData: renderCloudInit({ hostKey }),
          },
          { signal },
        );
        await ctx.files.dropSecret('host-key');
        const expected = expectedKey(r.server, r.adopted ? undefined : hostKey.fingerprint, known);
        Object.assign(result, { provider_id: r.server.id, adopted: r.adopted });
        const detail = r.adopted
          ? `adopted existing server ${r.server.id} (${r.server.status})`
          : `created server ${r.server.id}`;
        return { status: r.adopted ? 'ok' : 'changed', detail, value: { ...r, expected } };
      });
      const made = created!;

      const server = await steps.run('wait-for-actions', async () => {
        for (const a of made.actions) {
          await provider.waitForAction(a.id, {
            signal,
            onProgress: (pct) => ctx.progress({ message: `${a.command}: ${pct}%` }),
          });
        }
        const s = await this.waitRunning(provider, made.server.id, ctx);
        const what = made.actions.length
          ? made.actions.map((a) => a.command).join(', ') + ' succeeded'
          : 'no actions to wait for';
        return {
          status: made.actions.length ? 'changed' : 'ok',
          detail: `${what}; server ${s.status} at ${s.ipv4}`,
          value: s,
        };
      });
      const ip = server!.ipv4!;
      Object.assign(result, { ipv4: ip, server_type: server!.serverType, location: server!.location });
      if (server!.priceMonthly) result.price_monthly = server!.priceMonthly;

      const timeoutMs = this.o.bootTimeoutMs ?? 10 * 60_000;
      await steps.run('wait-for-ssh', async () => {
        const banner = await waitForSshBanner(ip, 22, {
          signal,
          timeoutMs,
          onRetry: (why, n) => n % 5 === 1 && ctx.note(`SSH at ${ip}:22 not answering yet (${why})`),
        });
        return { status: 'ok', detail: banner };
      });

      const draft: ServerRecord = {
        name: p.name,
        host: ip,
        port: 22,
        user: 'root',
        auth: { private_key_path: login.privateKeyPath },
        host_key_fingerprint: made.expected.fingerprint ?? '',
        labels: { ...p.labels },
        added_at: new Date().toISOString(),
        provider: { name: provider.name, id: made.server.id },
      };
      const probe = await steps.run('verify-host-key', async () => {
        const pr = await verifyHostKey(this.o.pool, draft, made.expected.fingerprint, {
          signal,
          timeoutMs: this.o.verifyTimeoutMs ?? 3 * 60_000,
          onRetry: (why) => ctx.note(`login to ${ip} not possible yet (${why}); retrying`),
        });
        const how =
          made.expected.trust === 'first-use'
            ? 'pinned on first use (no injected key recorded on the server)'
            : `matches the ${made.expected.trust} key`;
        return { status: 'ok', detail: `${pr.fingerprint} (${pr.keyType}) ${how}`, value: pr };
      });
      result.host_key_fingerprint = probe!.fingerprint;
      result.host_key_trust = made.expected.trust;

      const record: ServerRecord = {
        ...draft,
        host_key_fingerprint: probe!.fingerprint,
        host_key_type: probe!.keyType,
      };
      await steps.run('add-to-inventory', async () => {
        const known = await this.o.inventory.find(p.name);
        if (known && sameRecord(known, record)) return { status: 'ok', detail: 'already registered' };
        if (known) {
          await this.o.inventory.remove(p.name);
          this.o.pool.forget(p.name);
        }
        await this.o.inventory.add(known ? { ...record, added_at: known.added_at } : record);
        return {
          status: 'changed',
          detail: known ? 'replaced the old entry and its pinned key' : `registered as "${p.name}"`,
        };
      });
      result.server = publicServer((await this.o.inventory.find(p.name)) ?? record);
      steps.done(`server ${p.name} ready at ${ip}`);
      return { kind: 'completed', result };
    } catch (err) {
      return stepsOutcome(ctx, err, result);
    }
  }

  private async waitRunning(provider: Provider, id: string, ctx: JobContext): Promise<ProviderServer> {
    const deadline = Date.now() + (this.o.bootTimeoutMs ?? 10 * 60_000);
    for (;;) {
      const s = await provider.getServer(id, { signal: ctx.signal });
      if (!s)
        throw new DeckhandError('not_found', `Server ${id} disappeared at the provider while it was being created.`, {
          hint: 'Run create-server again to create a new one.',
        });
      if (s.status === 'running' && s.ipv4) return s;
      if (s.status === 'off' || s.status === 'deleting' || s.status === 'unknown') {
        throw new DeckhandError('server_not_running', `Server ${s.name} (id ${id}) is ${s.status}.`, {
          hint: 'Start it in the provider console, or delete it with delete-server and create it again.',
        });
      }
      if (s.status === 'running' && !s.ipv4) {
        throw new DeckhandError(
          'no_ipv4',
          `Server ${s.name} has no public IPv4 address, which deckhand needs to reach it.`,
          {
            hint: 'Delete it with delete-server and create it again with a public IPv4.',
          },
        );
      }
      if (Date.now() > deadline) {
        throw new DeckhandError(
          'boot_timeout',
          `Server ${s.name} is still ${s.status} after ${Math.round((this.o.bootTimeoutMs ?? 600_000) / 1000)} s.`,
          {
            hint: 'Check it in the provider console; run create-server again to resume.',
          },
        );
      }
      ctx.progress({ message: `server is ${s.status}` });
      await pause(1000, ctx.signal);
      ctx.signal.throwIfAborted();
    }
  }
}

function expectedKey(
  server: ProviderServer,
  injected: string | undefined,
  known: ServerRecord | undefined,
): { fingerprint: string | undefined; trust: Trust } {
  if (injected) return { fingerprint: injected, trust: 'injected' };
  const labelled = decodeHostKeyLabel(server.labels[HOST_KEY_LABEL]);
  if (labelled) return { fingerprint: labelled, trust: 'injected' };
  if (known?.provider && String(known.provider.id) === server.id && known.host_key_fingerprint) {
    return { fingerprint: known.host_key_fingerprint, trust: 'pinned' };
  }
  return { fingerprint: undefined, trust: 'first-use' };
}

function sameRecord(a: ServerRecord, b: ServerRecord): boolean {
  return (
    a.host === b.host &&
    a.port === b.port &&
    a.user === b.user &&
    a.host_key_fingerprint === b.host_key_fingerprint &&
    String(a.provider?.id) === String(b.provider?.id) &&
    a.auth.private_key_path === b.auth.private_key_path
  );
}
