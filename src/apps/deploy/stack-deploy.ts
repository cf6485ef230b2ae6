import { DeckhandError } from '../../errors.js';
import { snapshot, type ServiceVerdict } from './converge.js';
import { convergeMessage, NO_PROGRESS, waitPhase, type StackProgress } from './deploy-progress.js';
import { acquireLock, releaseLock, type LockOptions } from './lock.js';
import type { RemoteShell } from '../../ssh/remote-shell.js';
import {
  directProbeScript,
  hookScript,
  promoteScript,
  releaseDir,
  routeProbeScript,
  stackDeployScript,
  uploadPayload,
  uploadScript,
} from './scripts.js';
import { diagnose, rollback } from './stack-recover.js';
import {
  healthyNow,
  readCurrent,
  stackStatus,
  verdictsNow,
  waitConverged,
  waitSettled,
  type CurrentRelease,
  type StackWatch,
} from './stack-status.js';
import type { ReleaseRecord, ReleaseSpec, StackOutcome } from './types.js';
import { pause } from '../../timing.js';

export interface DeployContext {
  readonly runner: RemoteShell;
  /** A runner that still works after the job's signal aborted: for unlocking. */
  readonly cleanupRunner: RemoteShell;
  readonly signal: AbortSignal;
  readonly jobId: string;
  /** Every line goes to the job log; the caller redacts secrets. */
  readonly note: (text: string) => void;
  readonly lock: Pick<LockOptions, 'homeId' | 'ttlS' | 'maxWaitMs' | 'ownerGone' | 'pollMs'>;
  readonly resolveImage: 'always' | 'changed' | 'never';
  /** The longest wait for convergence, image pulls included. */
  readonly waitS: number;
  readonly probeImage: string;
  readonly pollMs: number;
}

export interface StackTask {
  readonly stack: string;
  /** Renders the release; runs under the stack's lock, so secrets it generates are stored by one job only. */
  prepare(): Promise<ReleaseSpec>;
  /** After the release is healthy and recorded on the server: keep its inputs locally. */
  recorded(spec: ReleaseSpec, record: ReleaseRecord): Promise<void>;
}

const short = (h: string) => h.slice(0, 12);

/**
 * Deploys one stack: lock → render → unchanged? → hooks → upload → docker stack deploy → converge → probe →
 * record → unlock. A failure rolls back (see rollback) and throws `deploy_failed` naming the service, its task
 * errors and its last log lines.
 */
export async function deployStack(
  c: DeployContext,
  task: StackTask,
  progress: StackProgress = NO_PROGRESS,
): Promise<StackOutcome> {
  const w: StackWatch = { runner: c.runner, signal: c.signal, note: c.note, pollMs: c.pollMs };
  progress.phase('lock', `taking the deploy lock of ${task.stack}`);
  await acquireLock(task.stack, { ...c.lock, runner: c.runner, signal: c.signal, jobId: c.jobId, note: c.note });
  try {
    const spec = await task.prepare();
    for (const warning of spec.warnings) c.note(`${spec.stack}: note: ${warning}`);
    const current = await readCurrent(c.runner, spec.stack);
    const names = spec.services.map((s) => s.fullName);
    const state = await stackStatus(c.runner, spec.stack);
    if (current.record?.hash === spec.hash && healthyNow(state, names)) {
      c.note(`${spec.stack}: release ${short(spec.hash)} is already deployed and healthy; nothing to change`);
      await task.recorded(spec, current.record);
      return outcome(spec, current.record, false, verdictsNow(state, names), spec.warnings);
    }
    if (current.record?.hash === spec.hash)
      c.note(`${spec.stack}: release ${short(spec.hash)} is recorded but not healthy: deploying it again`);
    for (const hook of spec.hooks) {
      progress.phase('hooks', hook.description);
      c.note(`${spec.stack}: ${hook.description} (in ${hook.serviceFullName})`);
      await c.runner.must(hookScript(hook.serviceFullName, hook.command), hook.description, { timeoutMs: 180_000 });
    }
    const dir = releaseDir(spec.stack, spec.hash);
    c.note(`${spec.stack}: uploading release ${short(spec.hash)} to ${dir} (.env mode 0600)`);
    progress.phase('upload', `release ${short(spec.hash)} to ${dir}`);
    await c.runner.must(uploadScript(spec.stack, spec.hash), 'uploading the release', {
      stdin: uploadPayload(spec.compose, spec.envFile),
    });
    const settled = state.services.some((s) => s.update?.State === 'updating' || s.update?.State === 'rollback_started')
      ? await waitSettled(w, spec.stack, 180)
      : state;
    const before = snapshot(settled);
    c.note(`${spec.stack}: docker stack deploy --resolve-image ${c.resolveImage}`);
    progress.phase('deploy', `docker stack deploy --resolve-image ${c.resolveImage}`);
    const out = await c.runner.must(
      stackDeployScript(spec.stack, dir, c.resolveImage, spec.interpolatesEnv),
      'docker stack deploy',
      {
        timeoutMs: 300_000,
      },
    );
    for (const l of out.stdout
      .trim()
      .split('\n')
      .filter((x) => x && !/detach/.test(x)))
      c.note(l);
    const deployedAt = settled.now;
    const waiting: StackWatch = {
      ...w,
      onVerdicts: (v) => progress.phase(waitPhase(v), convergeMessage(spec.stack, v)),
    };
    const res = await waitConverged(waiting, spec.stack, names, before, deployedAt, c.waitS);
    const failing = { c, w, spec, current, deployedAt, progress };
    if (!res.ok) {
      const why = res.timedOut
        ? `service ${res.failed.name} did not converge within ${c.waitS} s (${res.failed.detail})`
        : `service ${res.failed.name} failed (${res.failed.detail})`;
      return await fail(failing, res.failed, why);
    }
    const warnings = [...spec.warnings];
    if (spec.directProbe) {
      const p = spec.directProbe;
      const url = `http://tasks.${p.fullName}:${p.port}${p.path}`;
      c.note(`${spec.stack}: probing ${url} from a container on the shared network`);
      progress.phase('probe', url);
      const r = await c.runner.run(directProbeScript(c.probeImage, url, 15), { timeoutMs: 240_000 });
      if (!r.stdout.includes('probe-ok')) {
        const v = res.verdicts.find((x) => x.name === p.fullName) as ServiceVerdict;
        const tail = r.stdout.trim().split('\n').slice(-3).join(' | ');
        return await fail(
          failing,
          { ...v, detail: `HTTP probe of ${url} failed: ${tail}` },
          `${p.fullName} does not answer HTTP on ${p.path}`,
        );
      }
      c.note(`${spec.stack}: ${url} answers`);
    }
    if (spec.routeProbe) {
      progress.phase('probe', `https://${spec.routeProbe.host}${spec.routeProbe.path} through Traefik`);
      const warning = await probeRoute(c, spec.routeProbe.host, spec.routeProbe.path);
      if (warning) warnings.push(warning);
    }
    const record: ReleaseRecord = {
      version: 1,
      stack: spec.stack,
      app: spec.app,
      app_version: spec.appVersion,
      hash: spec.hash,
      deployed_at: new Date().toISOString(),
      job_id: c.jobId,
      domain: spec.domain,
      url: spec.url,
      services: names,
      volumes: spec.volumes,
      dependencies: spec.dependencies,
      previous:
        current.record && current.record.hash !== spec.hash
          ? { hash: current.record.hash, deployed_at: current.record.deployed_at }
          : (current.record?.previous ?? null),
      interpolates_env: spec.interpolatesEnv,
    };
    progress.phase('record', `release ${short(spec.hash)}`);
    await c.runner.must(promoteScript(spec.stack, spec.hash), 'recording the release', {
      stdin: `${JSON.stringify(record)}\n`,
    });
    await task.recorded(spec, record);
    c.note(`${spec.stack}: release ${short(spec.hash)} is live${spec.url ? ` at ${spec.url}` : ''}`);
    return outcome(spec, record, true, res.verdicts, warnings);
  } finally {
    await releaseLock(c.cleanupRunner, task.stack, c.jobId).catch(() => undefined);
  }
}

interface Failing {
  readonly c: DeployContext;
  readonly w: StackWatch;
  readonly spec: ReleaseSpec;
  readonly current: CurrentRelease;
  /** Server epoch seconds of this deploy's `docker stack deploy`: what happened before is not this release's. */
  readonly deployedAt: number;
  readonly progress: StackProgress;
}

async function fail(
  { c, w, spec, current, deployedAt, progress }: Failing,
  v: ServiceVerdict,
  why: string,
): Promise<never> {
  c.note(`${spec.stack}: deploy failed: ${why}`);
  progress.phase('rollback', why);
  const diag = await diagnose(w, v, deployedAt);
  const back = await rollback(w, spec, current, {
    resolveImage: c.resolveImage,
    limitS: Math.min(c.waitS, 600),
    settleS: v.unschedulable ? 0 : 180,
    progress: (message) => progress.phase('rollback', message),
  });
  throw new DeckhandError('deploy_failed', `Deploying ${spec.stack} failed: ${why}; ${diag}. ${back}`, {
    hint: 'Fix the cause (get-job-status shows the whole log) and deploy again.',
  });
}

/** Through Traefik on the server with the domain's Host header; a failure is a warning, since the app itself is healthy. */
async function probeRoute(c: DeployContext, host: string, path: string): Promise<string | undefined> {
  let last = '';
  for (let i = 0; i < 6; i++) {
    const r = await c.runner.run(routeProbeScript(host, path), { timeoutMs: 30_000 });
    if (r.stdout.includes('no-curl')) return `https://${host}${path} was not probed: curl is missing on the server`;
    last = /status=(\d+)/.exec(r.stdout)?.[1] ?? '000';
    const status = Number(last);
    if (status >= 200 && status < 400) {
      c.note(`https://${host}${path} answers ${status} through Traefik`);
      return undefined;
    }
    await pause(3000, c.signal);
    c.signal.throwIfAborted();
  }
  return `https://${host}${path} answered ${last === '000' ? 'nothing' : last} through Traefik on the server: check that setup-server installed Traefik and that the domain's DNS points here`;
}

function outcome(
  spec: ReleaseSpec,
  record: ReleaseRecord,
  changed: boolean,
  verdicts: readonly ServiceVerdict[],
  warnings: readonly string[],
): StackOutcome {
  return {
    stack: spec.stack,
    app: spec.app,
    changed,
    release: short(record.hash),
    previous_release: record.previous ? short(record.previous.hash) : null,
    url: record.url,
    services: spec.services.map((s) => {
      const v = verdicts.find((x) => x.name === s.fullName);
      return { name: s.fullName, replicas: v ? `${v.running}/${v.desired}` : '?', image: v?.image || s.image };
    }),
    warnings,
  };
}
