import { errorMessage } from '../../errors.js';
import { snapshot, type ServiceVerdict } from './converge.js';
import { convergeMessage } from './deploy-progress.js';
import { discardReleaseScript, serviceLogsScript, stackDeployScript, stackRemoveScript } from './scripts.js';
import { waitConverged, waitSettled, waitStackGone, type CurrentRelease, type StackWatch } from './stack-status.js';
import type { ReleaseSpec } from './types.js';

/**
 * What went wrong with a service, for the job error: the task errors of this release (see judgeService) and the
 * lines its service logged since `sinceEpochS`, when this release was deployed (an earlier release's are not its).
 */
export async function diagnose(w: StackWatch, v: ServiceVerdict, sinceEpochS: number, logLines = 15): Promise<string> {
  const parts: string[] = [];
  parts.push(v.taskErrors.length > 0 ? `last task errors of ${v.name}: ${v.taskErrors.join('; ')}` : `no task errors`);
  try {
    const r = await w.runner.run(serviceLogsScript(v.name, logLines, sinceEpochS), { timeoutMs: 30_000 });
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    for (const l of lines) w.note(`[${v.name}] ${l}`);
    parts.push(lines.length ? `last log lines: ${lines.slice(-logLines).join(' | ').slice(-3000)}` : 'no log lines');
  } catch (err) {
    parts.push(`its logs could not be read (${errorMessage(err)})`);
  }
  return parts.join('; ');
}

export interface RollbackOptions {
  readonly resolveImage: 'always' | 'changed' | 'never';
  readonly limitS: number;
  /**
   * How long to let Swarm finish an update or rollback of its own first. 0 when a task waits for a node that will
   * never come: that update never ends, and redeploying the previous release is what replaces the task.
   */
  readonly settleS: number;
  /** What the rollback is doing, for the job's progress. */
  readonly progress?: (message: string) => void;
}

/**
 * Puts the stack back on the release that ran before: Swarm has already rolled back the services it updated
 * (failure_action: rollback), so this waits for that, then redeploys the previous release directory (which also
 * restores or prunes services the failed release added). A first release has nothing to go back to: its stack is
 * removed, its volumes kept. Returns a sentence for the job error; never throws.
 */
export async function rollback(
  w: StackWatch,
  spec: ReleaseSpec,
  current: CurrentRelease,
  o: RollbackOptions,
): Promise<string> {
  const short = (h: string) => h.slice(0, 12);
  try {
    let sentence: string;
    if (current.record && current.dir) {
      const prev = current.record;
      w.note(`${spec.stack}: rolling back to release ${short(prev.hash)}`);
      o.progress?.(`to release ${short(prev.hash)}`);
      const settled = await waitSettled(w, spec.stack, o.settleS);
      const before = snapshot(settled);
      const out = await w.runner.must(
        stackDeployScript(spec.stack, current.dir, o.resolveImage, prev.interpolates_env),
        `redeploying release ${short(prev.hash)} of ${spec.stack}`,
        { timeoutMs: 300_000 },
      );
      for (const l of out.stdout
        .trim()
        .split('\n')
        .filter((x) => x && !/detach/.test(x)))
        w.note(l);
      const watch: StackWatch = {
        ...w,
        onVerdicts: (v) => o.progress?.(`to release ${short(prev.hash)}: ${convergeMessage(spec.stack, v)}`),
      };
      const res = await waitConverged(watch, spec.stack, prev.services, before, settled.now, o.limitS);
      sentence = res.ok
        ? `Rolled back to release ${short(prev.hash)} (deployed ${prev.deployed_at}), which is running again.`
        : `Rolling back to release ${short(prev.hash)} did not converge either (${res.failed.name}: ${res.failed.detail}); check the server with remote-bash "docker stack ps ${spec.stack} --no-trunc".`;
    } else {
      w.note(`${spec.stack}: there is no earlier release; removing the stack (its volumes are kept)`);
      o.progress?.('no earlier release: removing the stack');
      await w.runner.must(stackRemoveScript(spec.stack), `removing stack ${spec.stack}`);
      const left = await waitStackGone(w, spec.stack, 120);
      sentence =
        left.services + left.containers + left.networks === 0
          ? 'There was no earlier release, so the stack was removed (its volumes are kept).'
          : `There was no earlier release; the stack is being removed (${left.containers} containers still stopping).`;
    }
    await w.runner.run(discardReleaseScript(spec.stack, spec.hash), { timeoutMs: 30_000 });
    return sentence;
  } catch (err) {
    return `Rolling back failed too: ${errorMessage(err)}. Check the server with remote-bash "docker stack ps ${spec.stack} --no-trunc".`;
  }
}
