import {
  dependencyRuntime,
  resolveSecrets,
  type Catalogue,
  type DependencyRuntime,
  type ImageOverride,
  type ReleasePlan,
  type UserReleasePlan,
} from '../render/index.js';
import { STACK_NAME } from '../render/render.js';
import { ValidationError } from '../../errors.js';
import { exemptWords, Redactor } from './redact.js';
import { catalogueRelease, composeRelease, runtimesFor, type RenderedRelease } from './release.js';
import type { StackStateStore } from './state.js';
import type { RouteInput } from './types.js';

export interface DeployRequest {
  readonly server: string;
  readonly app?: string | undefined;
  readonly compose?: string | undefined;
  readonly name?: string | undefined;
  readonly env?: Record<string, string> | undefined;
  /** undefined: keep the deployed domain; '' : no domain. */
  readonly domain?: string | undefined;
  readonly route?: RouteInput | undefined;
}

export interface Preview {
  readonly stack: string;
  readonly app: string | null;
  readonly rendered: RenderedRelease;
  /** Each dependency stack, in deploy order, and whether this DECKHAND_HOME has deployed it. */
  readonly dependencies: readonly { app: string; stack: string; known: boolean }[];
  /** Secrets a real deploy would generate now (names only). */
  readonly newSecrets: readonly string[];
  readonly redactor: Redactor;
  readonly plan: ReleasePlan | UserReleasePlan;
}

/** The stack a request deploys to, checked: a user compose file must be named. */
export function stackOf(req: DeployRequest): string {
  if ((req.app === undefined) === (req.compose === undefined)) {
    throw new ValidationError(
      'Give either app (a catalogue app) or compose (your own compose file), not both or neither.',
      'list-apps shows the catalogue.',
    );
  }
  const stack = req.name ?? req.app;
  if (stack === undefined) {
    throw new ValidationError('A compose file needs a name: the stack it is deployed as.', 'Pass name, e.g. "myapp".');
  }
  assertStackName(stack);
  return stack;
}

export function assertStackName(stack: string): void {
  if (!STACK_NAME.test(stack)) {
    throw new ValidationError(
      `"${stack.slice(0, 60)}" is not a stack name: 1-50 lower-case letters, digits, "-" or "_", starting with a letter or digit.`,
      'list-apps with server shows the deployed stacks.',
    );
  }
}

/**
 * Renders what a deploy would upload, without touching the server or storing anything: stored secrets and
 * inputs are used where they exist, missing secrets are generated for the preview only. Throws the same
 * validation errors the job would (unknown app, bad env, build:, unpinned images...).
 */
export async function preview(
  req: DeployRequest,
  o: { catalogue: Catalogue; states: StackStateStore; imageOverrides: Readonly<Record<string, ImageOverride>> },
): Promise<Preview> {
  const stack = stackOf(req);
  const state = await o.states.read(req.server, stack);
  if (state && state.app !== (req.app ?? null)) {
    throw new ValidationError(
      `"${stack}" on "${req.server}" runs ${state.app ?? 'a compose file'}, not ${req.app ?? 'a compose file'}.`,
      'Pick another name, or undeploy it first.',
    );
  }
  const redactor = new Redactor(Object.values(req.env ?? {}), exemptWords(o.catalogue, stack));
  const domain = req.domain === undefined ? (state?.deployed?.domain ?? null) : req.domain.trim() || null;
  if (req.compose !== undefined) {
    const rendered = composeRelease(req.compose, {
      stack,
      domain,
      env: req.env ?? state?.deployed?.env ?? {},
      route: req.route ?? state?.deployed?.route,
    });
    return { stack, app: null, rendered, dependencies: [], newSecrets: [], redactor, plan: rendered.plan };
  }
  const order = o.catalogue.dependencyOrder(req.app as string);
  const runtimes: Record<string, DependencyRuntime> = {};
  const dependencies: { app: string; stack: string; known: boolean }[] = [];
  let newSecrets: string[] = [];
  for (const [i, app] of order.entries()) {
    const main = i === order.length - 1;
    const s = main ? stack : app.name;
    const st = main ? state : await o.states.read(req.server, s);
    const { secrets, generated } = resolveSecrets(app, st?.secrets ?? {});
    redactor.add(Object.values(secrets));
    const mine = runtimesFor(app, runtimes);
    if (!main) {
      dependencies.push({ app: app.name, stack: s, known: st?.deployed != null });
      newSecrets = newSecrets.concat(generated.map((k) => `${s}.${k}`));
      runtimes[app.name] = dependencyRuntime(app, {
        stackName: s,
        env: st?.deployed?.env ?? {},
        secrets,
        dependencies: mine,
      });
      continue;
    }
    newSecrets = newSecrets.concat(generated.map((k) => `${s}.${k}`));
    const env = req.env ?? state?.deployed?.env ?? {};
    redactor.add(Object.values(env));
    const rendered = catalogueRelease(app, {
      stack,
      domain,
      env,
      secrets,
      dependencies: mine,
      imageOverrides: o.imageOverrides,
    });
    return { stack, app: app.name, rendered, dependencies, newSecrets, redactor, plan: rendered.plan };
  }
  throw new Error('unreachable: the catalogue order ends with the app itself');
}
