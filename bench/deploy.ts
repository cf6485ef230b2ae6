// deploy-app figures, measured against a netns host with its own Docker engine and Swarm (root, docker.io, iproute2,
// openssh-server, busybox-static: what .ci/run installs). Call benchDeploy(rows) from bench/run.ts.
//   - a redeploy that changes nothing (target < 3 s), through the MCP process, call to answer;
//   - deploy-app of a fresh stack to healthy, next to the same release deployed by hand over one SSH connection:
//     upload compose.yml and .env, `docker stack deploy`, then poll `docker service ls` once a second until n/n
//     (deckhand's converge loop polls once a second too). Target ratio <= 1.2.
import fs from 'node:fs';
import { Client as SshClient } from 'ssh2';
import { deployEnv } from '../tests/helpers/deploy-images.js';
import { tempHome } from '../tests/helpers/home.js';
import { ensureLocalImages } from '../tests/helpers/images.js';
import { startStdio, structured, type StdioSession } from '../tests/helpers/mcp.js';
import { startNetnsHost, type NetnsHost } from '../tests/helpers/netns-host.js';
import { fmtMs, percentile, type Row } from './stats.js';

const ROUNDS = 3;

function exec(c: SshClient, cmd: string, stdin?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) =>
    c.exec(cmd, (err, s) => {
      if (err) return reject(err);
      let out = '';
      let code: number | null = null;
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.stderr.on('data', (d: Buffer) => (out += d.toString()));
      s.on('exit', (x: number | null) => (code = x));
      s.on('close', () => resolve({ code, out }));
      s.end(stdin ?? '');
    }),
  );
}

async function must(c: SshClient, cmd: string, stdin?: string): Promise<string> {
  const r = await exec(c, cmd, stdin);
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.out}`);
  return r.out;
}

async function connect(host: NetnsHost): Promise<SshClient> {
  const c = new SshClient();
  await new Promise<void>((resolve, reject) =>
    c
      .once('ready', () => resolve())
      .once('error', reject)
      .connect({ host: host.ip, port: 22, username: 'root', privateKey: fs.readFileSync(host.privateKeyPath) }),
  );
  return c;
}

/** The same release by hand: what a person would script with docker and ssh. */
async function rawDeploy(c: SshClient, stack: string, compose: string, envFile: string): Promise<number> {
  const t = performance.now();
  const dir = `/opt/raw/${stack}`;
  await must(c, `umask 077; mkdir -p ${dir} && cat > ${dir}/compose.yml`, compose);
  await must(c, `umask 077; cat > ${dir}/.env`, envFile);
  await must(c, `cd ${dir} && docker stack deploy --resolve-image never -c compose.yml ${stack}`);
  for (;;) {
    const reps = (await must(c, `docker service ls --filter name=${stack}_ --format '{{.Replicas}}'`)).trim();
    if (reps && reps.split('\n').every((r) => /^(\d+)\/\1\b/.test(r))) return performance.now() - t;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function removeStack(c: SshClient, stack: string): Promise<void> {
  await must(c, `docker stack rm ${stack} >/dev/null; rm -rf /opt/raw/${stack} /opt/deckhand/apps/${stack}`);
  for (let i = 0; i < 120; i++) {
    const left = await must(c, `docker ps -aq --filter label=com.docker.stack.namespace=${stack} | wc -l`);
    if (left.trim() === '0') return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function deployApp(mcp: StdioSession, args: Record<string, unknown>): Promise<{ ms: number; changed: boolean }> {
  const t = performance.now();
  const r = structured<{ status: string; result?: { changed: boolean }; error?: unknown }>(
    await mcp.call('deploy-app', { server: 'bench', sync_wait_s: 300, ...args }, { timeoutMs: 320_000 }),
  );
  if (r.status !== 'completed') throw new Error(`deploy-app ${JSON.stringify(args)}: ${JSON.stringify(r)}`);
  return { ms: performance.now() - t, changed: r.result?.changed ?? true };
}

export async function benchDeploy(rows: Row[]): Promise<void> {
  const host = await startNetnsHost({ swarm: true });
  const home = tempHome();
  let mcp: StdioSession | undefined;
  let ssh: SshClient | undefined;
  try {
    await ensureLocalImages(host);
    await host.exec(
      "printf '' > /root/.bashrc; docker network create --driver overlay --attachable deckhand-public >/dev/null",
    );
    mcp = await startStdio({ ...deployEnv(home.dir), DECKHAND_LOG_LEVEL: 'error' });
    const added = await mcp.call('add-server', {
      name: 'bench',
      host: host.ip,
      user: 'root',
      private_key_path: host.privateKeyPath,
      host_key_fingerprint: host.hostKeyFingerprint,
    });
    if (added.isError) throw new Error(JSON.stringify(added.content));
    ssh = await connect(host);

    // Redeploy with no change.
    await deployApp(mcp, { app: 'whoami' });
    const same: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await deployApp(mcp, { app: 'whoami' });
      if (r.changed) throw new Error('a redeploy with the same inputs changed something');
      same.push(r.ms);
    }
    rows.push({
      figure: 'deploy-app redeploy, no change (5 runs), p50',
      deckhand: fmtMs(percentile(same, 50)),
      reference: `max ${fmtMs(Math.max(...same))}`,
      ratio: '',
      target: '< 3 s',
    });

    // A fresh stack to healthy: deploy-app vs by hand, alternating, same rendered release.
    const mine: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const dry = structured<{ result: { compose: string } }>(
        await mcp.call('deploy-app', { server: 'bench', app: 'whoami', name: `raw${i}`, dry_run: true }),
      );
      raw.push(await rawDeploy(ssh, `raw${i}`, dry.result.compose, 'WHOAMI_NAME=deckhand\n'));
      mine.push((await deployApp(mcp, { app: 'whoami', name: `dh${i}` })).ms);
      await removeStack(ssh, `raw${i}`);
      await removeStack(ssh, `dh${i}`);
    }
    const m = percentile(mine, 50);
    const r = percentile(raw, 50);
    rows.push({
      figure: `deploy-app to healthy vs docker stack deploy + polling (${ROUNDS} each), p50`,
      deckhand: fmtMs(m),
      reference: fmtMs(r),
      ratio: (m / r).toFixed(2),
      target: '<= 1.2',
    });
  } finally {
    ssh?.end();
    await mcp?.close();
    await host.stop();
    home.cleanup();
  }
}
