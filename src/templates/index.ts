// templates: job definitions kept with immutable versions, run on demand or by their schedule (schedule/ decides
// when, scheduler.ts fires), with statistics read from their runs. A run is a remote-bash job or batch.
import type { Feature, JobKernel } from '../jobs/kernel.js';
import { isTerminal, type Job } from '../jobs/types.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import { ScheduleLoop, type ScheduleGate } from './scheduler.js';
import { TemplateService } from './service.js';

export { TemplateService, type RunInput, type SaveInput, type SaveResult, type TemplateDetail } from './service.js';
export { definitionOf, runRow, view as templateView, type RunRow, type TemplateView } from './views.js';
export { ScheduleLoop, type ScheduleGate } from './scheduler.js';
export {
  CONFIRMED_BY_PERSON,
  runTemplateAsPerson,
  scheduleGate,
  suspendAsPerson,
  type GatedRun,
  type TargetNames,
} from './gate.js';
export type { ParamSpec, RunDefaults, TemplateDefinition, TemplateTarget } from './definition.js';
export { DEFAULT_HISTORY, MAX_HISTORY, resolveParams } from './definition.js';
export {
  cronInWords,
  describeSchedule,
  nextRunTimes,
  scheduleSpecObject,
  type ScheduleSpec,
  type ScheduleSpecInput,
} from './schedule/index.js';

export interface TemplatesFeature extends Feature<TemplateService> {
  /** Starts firing schedules (only processes that serve: a CLI command never fires). */
  start(gate?: ScheduleGate): void;
  /** Stops firing, waiting for a pass under way (before the job kernel closes its stores). */
  stop(): Promise<void>;
}

export function createTemplatesFeature(o: {
  kernel: JobKernel;
  remoteBash: RemoteBashService;
  onError: (err: unknown, context: string) => void;
  tickMs?: number;
}): TemplatesFeature {
  const { kernel } = o;
  const service = new TemplateService({
    store: kernel.stores.templates,
    secrets: kernel.stores.secrets,
    runner: o.remoteBash,
    jobs: kernel.jobs,
  });
  let loop: ScheduleLoop | undefined;
  const onJob = (job: Job) => {
    // A run ended here: its template's history limits move on (the instance that ends a run tells it).
    if (job.template && job.parent_id === null && isTerminal(job.status))
      service.runEnded(job).catch((err) => o.onError(err, 'template history'));
  };
  kernel.engine.events.on('job', onJob);
  return {
    handlers: {},
    service,
    start(gate) {
      loop ??= new ScheduleLoop({
        store: kernel.stores.templates,
        service,
        cancel: (id) => kernel.jobs.cancel(id),
        gate,
        tickMs: o.tickMs,
        onError: o.onError,
      });
      loop.start();
    },
    async stop() {
      await loop?.close();
    },
    async close() {
      kernel.engine.events.off('job', onJob);
      await loop?.close();
    },
  };
}
