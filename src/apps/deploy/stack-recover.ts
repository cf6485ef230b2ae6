import { errorMessage } from '../../errors.js';
import { snapshot, type ServiceVerdict } from './converge.js';
import { discardReleaseScript, serviceLogsScript, stackDeployScript, stackRemoveScript } from './scripts.js';
import { waitConverged, waitSettled, waitStackGone, type CurrentRelease, type StackWatch } from './stack-status.js';
import type { ReleaseSpec } from './types.js';

/** What went wrong with a service, for the job error: its newest task errors and its last log lines. */
export async function diagnose(w: StackWatch, v: ServiceVerdict, logLines = 15): Promise<string> {
  const parts: string[] = [];
  parts.push(v.taskErrors.length > 0 ? `last task errors of ${v.name}: ${v.taskErrors.join('; ')}` : `no task errors`);
  try {
    const r = await w.runner.run(serviceLogsScript(v.name, logLines), { timeoutMs: 30_000 });
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
      const settled = await waitSettled(w, spec.stack, 180);
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
      const res = await waitConverged(w, spec.stack, prev.services, before, settled.now, o.limitS);
      sentence = res.ok
        ? `Rolled back to release ${short(prev.hash)} (deployed ${prev.deployed_at}), which is running again.`
        : `Rolling back to release ${short(prev.hash)} did not converge either (${res.failed.name}: ${res.failed.detail}); check the server with remote-bash "docker stack ps ${spec.stack} --no-trunc".`;
    } else {
      w.note(`${spec.stack}: there is no earlier release; removing the stack (its volumes are kept)`);
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
