// Provisioning figures for `npm run bench` (issue 5): a full create-server job against the fake Hetzner API with
// zero-delay actions, and a setup-server second run (every step "ok"), each step against the same work done raw:
// the API calls made directly, and the step's shell scripts run over one plain ssh2 connection.
//
//   import { benchProvisioning } from './provisioning.js';  await benchProvisioning(rows);
//   or on its own: npx tsc -p tsconfig.bench.json && node .bench-dist/bench/provisioning.js
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client as SshClient } from 'ssh2';
import { FileInventoryStore } from '../src/jobs/store/sqlite/inventory.js';
import { Inventory } from '../src/servers/inventory.js';
import type { ServerRecord } from '../src/servers/types.js';
import type { JobContext } from '../src/jobs/handler.js';
import { LocalJobFiles } from '../src/jobs/files.js';
import { FileLogStore } from '../src/jobs/log/file-store.js';
import { createJob, newJobId } from '../src/jobs/types.js';
import { generateHostKeyPair, HetznerProvider, md5Fingerprint, renderCloudInit } from '../src/providers/index.js';
import { ensureDeckhandKey } from '../src/provisioning/deckhand-key.js';
import { SetupServerHandler } from '../src/setup/handler.js';
import { SshPool } from '../src/ssh/pool.js';
import { sha256Fingerprint } from '../src/ssh/host-keys.js';
import { startFakeCloud } from '../tests/helpers/fake-cloud.js';
import { tempHome } from '../tests/helpers/home.js';
import { ensureLocalImages, LOCAL_IMAGES } from '../tests/helpers/images.js';
import { startStdio, structured, textOf, type StdioSession } from '../tests/helpers/mcp.js';
import { startNetnsHost } from '../tests/helpers/netns-host.js';
import { installSetupShims } from '../tests/helpers/setup-host.js';
import { fmtMs, percentile, printTable, type Row } from './stats.js';

interface StepReport {
  name: string;
  status: string;
  duration_ms: number;
}
interface Answer {
  status: string;
  job_id?: string;
  result?: { steps?: StepReport[] };
}

const p50 = (xs: number[]) => percentile(xs, 50);
const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);

function stepRows(rows: Row[], title: string, ours: Map<string, number[]>, raw: Map<string, number[]>): void {
  for (const [name, times] of ours) {
    const ref = raw.get(name);
    const mine = p50(times);
    rows.push({
      figure: `${title}: ${name}, p50`,
      deckhand: fmtMs(mine),
      reference: ref ? `raw ${fmtMs(p50(ref))}` : 'no raw equivalent',
      ratio: ref ? `+${fmtMs(Math.max(0, mine - p50(ref)))}` : '',
      target: ref ? 'overhead < 50 ms' : '',
    });
  }
}

function banner(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('data', () => (s.destroy(), resolve()));
    s.once('error', reject);
  });
}

function sshConnect(o: { host: string; port: number; user: string; key: Buffer; expect?: string }): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    const c = new SshClient();
    c.once('ready', () => resolve(c)).once('error', reject);
    c.connect({
      host: o.host,
      port: o.port,
      username: o.user,
      privateKey: o.key,
      hostVerifier: (k: Buffer) => !o.expect || sha256Fingerprint(k) === o.expect,
    });
  });
}

function rawExec(c: SshClient, script: string): Promise<void> {
  return new Promise((resolve, reject) =>
    c.exec(`sh -c '${script.replace(/'/g, `'\\''`)}'`, (err, s) => {
      if (err) return reject(err);
      s.on('data', () => undefined).on('close', () => resolve());
      s.stderr.on('data', () => undefined);
    }),
  );
}

/** create-server through the MCP process, against raw provider calls and SSH for the same steps. */
async function benchCreate(rows: Row[], runs: number): Promise<void> {
  const cloud = await startFakeCloud({ actionDurationMs: 0 });
  const home = tempHome();
  let mcp: StdioSession | undefined;
  try {
    mcp = await startStdio({
      DECKHAND_HOME: home.dir,
      DECKHAND_LOG_LEVEL: 'error',
      HCLOUD_TOKEN: cloud.fake.token,
      HCLOUD_ENDPOINT: cloud.fake.url,
      DECKHAND_PROVIDER_POLL_MS: '50',
    });
    const ours = new Map<string, number[]>();
    const walls: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t = performance.now();
      const r = structured<Answer>(await mcp.call('create-server', { name: `bench-${i}`, sync_wait_s: 120 }));
      const wall = performance.now() - t;
      if (r.status !== 'completed') throw new Error(`create-server bench-${i}: ${JSON.stringify(r)}`);
      if (i > 0) {
        walls.push(wall);
        for (const s of r.result?.steps ?? []) push(ours, s.name, s.duration_ms);
      }
      const d = await mcp.call('delete-server', { name: `bench-${i}`, confirm: true, sync_wait_s: 120 });
      if (d.isError) throw new Error(textOf(d));
    }

    const provider = new HetznerProvider({ token: cloud.fake.token, endpoint: cloud.fake.url, pollIntervalMs: 50 });
    const key = ensureDeckhandKey(home.dir);
    const raw = new Map<string, number[]>();
    const rawWalls: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const name = `raw-${i}`;
      const start = performance.now();
      let t = start;
      const lap = (step: string) => {
        const now = performance.now();
        if (i > 0) push(raw, step, now - t);
        t = now;
      };
      const k = await provider.ensureSshKey({
        name: `deckhand-${md5Fingerprint(key.publicKey).replace(/:/g, '').slice(0, 12)}`,
        publicKey: key.publicKey,
      });
      lap('ensure-ssh-key');
      const hostKey = generateHostKeyPair();
      await provider.findServerByName(name);
      const made = await provider.createServer({
        name,
        serverType: 'cx23',
        location: 'fsn1',
        image: 'debian-12',
        labels: { 'managed-by': 'deckhand' },
        sshKeyIds: [k.id],
        userData: renderCloudInit({ hostKey }),
      });
      lap('create-server');
      for (const a of made.actions) await provider.waitForAction(a.id);
      const s = await provider.getServer(made.server.id);
      lap('wait-for-actions');
      for (;;) {
        try {
          await banner(s?.ipv4 ?? '', 22);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      lap('wait-for-ssh');
      const c = await sshConnect({
        host: s?.ipv4 ?? '',
        port: 22,
        user: 'root',
        key: fs.readFileSync(key.privateKeyPath),
        expect: hostKey.fingerprint,
      });
      c.end();
      lap('verify-host-key');
      if (i > 0) rawWalls.push(performance.now() - start);
      await provider.waitForAction((await provider.deleteServer(made.server.id)).id);
    }
    rows.push({
      figure: `create-server job, fake API 0 ms actions, ${runs} runs, wall p50`,
      deckhand: fmtMs(p50(walls)),
      reference: `raw API + SSH ${fmtMs(p50(rawWalls))}`,
      ratio: `${(p50(walls) / p50(rawWalls)).toFixed(2)}x`,
      target: '',
    });
    stepRows(rows, 'create-server step', ours, raw);
  } finally {
    await mcp?.close().catch(() => undefined);
    await cloud.close();
    home.cleanup();
  }
}

/** A setup-server second run: the job's steps in-process, and each step's scripts raw over one connection. */
async function benchSetup(rows: Row[], runs: number): Promise<void> {
  const host = await startNetnsHost({ docker: true });
  const home = tempHome();
  let mcp: StdioSession | undefined;
  const pool = new SshPool({ connectTimeoutMs: 10_000, keepaliveIntervalMs: 15_000, env: process.env });
  try {
    await ensureLocalImages(host);
    await installSetupShims(host);
    mcp = await startStdio({
      DECKHAND_HOME: home.dir,
      DECKHAND_LOG_LEVEL: 'error',
      DECKHAND_TRAEFIK_IMAGE: LOCAL_IMAGES.traefik,
    });
    const added = await mcp.call('add-server', {
      name: 'bench',
      host: host.ip,
      private_key_path: host.privateKeyPath,
      host_key_fingerprint: host.hostKeyFingerprint,
    });
    if (added.isError) throw new Error(textOf(added));
    const first = structured<Answer>(
      await mcp.call('setup-server', { server: 'bench', email: 'ops@example.test', sync_wait_s: 300 }),
    );
    if (first.status !== 'completed') throw new Error(`first setup: ${JSON.stringify(first)}`);
    const t = performance.now();
    const second = structured<Answer>(await mcp.call('setup-server', { server: 'bench', sync_wait_s: 300 }));
    const wall = performance.now() - t;
    if (second.status !== 'completed') throw new Error(`second setup: ${JSON.stringify(second)}`);
    await mcp.close();
    mcp = undefined;

    // In-process: the handler itself, with every script it sends recorded under its step.
    let current = '';
    const scripts = new Map<string, string[]>();
    const job = new SetupServerHandler({
      inventory: new Inventory(new FileInventoryStore<ServerRecord>(home.dir)),
      pool,
      traefikImage: LOCAL_IMAGES.traefik,
      onCommand: (_server, script) => void scripts.set(current, [...(scripts.get(current) ?? []), script]),
    });
    const ours = new Map<string, number[]>();
    for (let i = 0; i <= runs; i++) {
      scripts.clear();
      const id = newJobId();
      const log = await new FileLogStore(home.dir, { active: async () => [], get: async () => undefined }).open(id, {
        maxBytes: 1 << 30,
      });
      const ctx: JobContext = {
        job: {
          ...createJob(
            {
              type: 'setup-server',
              server: 'bench',
              params: { components: ['docker', 'swarm', 'traefik'], dry_run: false },
              timeout_s: 600,
            },
            new Date(),
            id,
          ),
        },
        recovering: false,
        signal: new AbortController().signal,
        stopReason: () => undefined,
        log,
        files: await new LocalJobFiles(home.dir).forJob(id),
        note: (text) => {
          const m = /^\[\d+\/\d+\] ([a-z-]+): started$/.exec(text);
          if (m) current = m[1] ?? '';
        },
        progress: () => undefined,
        setRuntime: async () => undefined,
      };
      const out = await job.run(ctx);
      await log.close();
      if (out.kind !== 'completed') throw new Error(`in-process setup: ${JSON.stringify(out)}`);
      const steps = (out.result as { steps: StepReport[] }).steps;
      if (steps.some((s) => s.status !== 'ok'))
        throw new Error(`second run changed something: ${JSON.stringify(steps)}`);
      if (i > 0) for (const s of steps) push(ours, s.name, s.duration_ms);
    }

    const c = await sshConnect({ host: host.ip, port: 22, user: 'root', key: fs.readFileSync(host.privateKeyPath) });
    const raw = new Map<string, number[]>();
    for (let i = 0; i <= runs; i++) {
      for (const [step, list] of scripts) {
        const t0 = performance.now();
        for (const s of list) await rawExec(c, s);
        if (i > 0) push(raw, step, performance.now() - t0);
      }
    }
    c.end();
    const total = (m: Map<string, number[]>) => [...m.values()].reduce((a, xs) => a + p50(xs), 0);
    rows.push({
      figure: 'setup-server second run (10 steps ok), tool call wall',
      deckhand: fmtMs(wall),
      reference: `raw scripts, one connection ${fmtMs(total(raw))}`,
      ratio: `${(wall / total(raw)).toFixed(2)}x`,
      target: '',
    });
    rows.push({
      figure: `setup-server second run, handler in-process, ${runs} runs, sum of step p50`,
      deckhand: fmtMs(total(ours)),
      reference: `raw ${fmtMs(total(raw))}`,
      ratio: `${(total(ours) / total(raw)).toFixed(2)}x`,
      target: '',
    });
    stepRows(rows, 'setup-server step', ours, raw);
  } finally {
    await mcp?.close().catch(() => undefined);
    await pool.close();
    await host.stop();
    home.cleanup();
  }
}

export async function benchProvisioning(rows: Row[], opts: { runs?: number } = {}): Promise<void> {
  const runs = opts.runs ?? Number(process.env.BENCH_PROVISIONING_RUNS ?? 5);
  await benchCreate(rows, runs);
  await benchSetup(rows, runs);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const rows: Row[] = [];
  benchProvisioning(rows)
    .then(() => printTable(rows))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
