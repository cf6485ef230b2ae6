import { worstClass, type ActionClass, type Verdict } from './classes.js';
import type { ClassifiedPart, CommandClassifier } from './classify/classify.js';
import { systemDirOf } from './classify/paths.js';

/**
 * What a tool is about to do, as policy sees it. Tools that only read never ask policy; the rest describe
 * themselves with one of these.
 */
export type PolicyAction =
  | { readonly kind: 'command'; readonly command: string }
  | { readonly kind: 'write-file'; readonly path: string; readonly exists: boolean }
  | { readonly kind: 'delete-server' }
  | { readonly kind: 'undeploy-app'; readonly app: string; readonly removeData: boolean }
  | { readonly kind: 'deploy-app'; readonly app: string }
  /** Any other tool that changes something, with the class and the words its author chose. */
  | {
      readonly kind: 'tool';
      readonly tool: string;
      readonly class: ActionClass;
      readonly why: string;
      readonly words?: readonly string[];
    };

export interface ClassifiedAction {
  readonly class: ActionClass;
  readonly parts: readonly ClassifiedPart[];
  /** One line per reason the action is not read-only. */
  readonly reasons: readonly string[];
}

/** Labels that mark a production server: env=prod (or env=production). */
export function isProduction(labels: Readonly<Record<string, string>>): boolean {
  const env = labels['env']?.toLowerCase();
  return env === 'prod' || env === 'production';
}

export function classifyAction(
  action: PolicyAction,
  labels: Readonly<Record<string, string>>,
  classifier: CommandClassifier,
): ClassifiedAction {
  if (action.kind === 'command') {
    const c = classifier.classify(action.command);
    return { class: c.class, parts: c.parts, reasons: c.reasons };
  }
  const { words, text, verdict } = describeTool(action, labels);
  const part: ClassifiedPart = {
    id: 0,
    text,
    words,
    views: [words],
    class: verdict.class,
    reasons: [verdict],
    within: null,
    readable: true,
  };
  const reasons = verdict.class === 'read-only' ? [] : [`\`${text}\`: ${verdict.why} (${verdict.class})`];
  return { class: worstClass([verdict.class]), parts: [part], reasons };
}

function describeTool(
  action: Exclude<PolicyAction, { kind: 'command' }>,
  labels: Readonly<Record<string, string>>,
): { words: string[]; text: string; verdict: Verdict } {
  switch (action.kind) {
    case 'write-file': {
      const words = ['write-file', action.path];
      const dir = systemDirOf(action.path);
      const verdict: Verdict = dir
        ? { class: 'privileged', why: `writes ${action.path}, under ${dir}` }
        : action.exists
          ? { class: 'destructive', why: `overwrites the existing file ${action.path}` }
          : { class: 'change', why: `creates the file ${action.path}` };
      return { words, text: words.join(' '), verdict };
    }
    case 'delete-server':
      return {
        words: ['delete-server'],
        text: 'delete-server',
        verdict: { class: 'destructive', why: 'deletes the server at its provider, with its disks' },
      };
    case 'undeploy-app': {
      const words = action.removeData ? ['undeploy-app', action.app, '--remove-data'] : ['undeploy-app', action.app];
      const verdict: Verdict = action.removeData
        ? { class: 'destructive', why: `removes ${action.app} and deletes its data` }
        : { class: 'change', why: `removes ${action.app}, keeping its data` };
      return { words, text: words.join(' '), verdict };
    }
    case 'deploy-app': {
      const words = ['deploy-app', action.app];
      const verdict: Verdict = isProduction(labels)
        ? { class: 'destructive', why: `deploys ${action.app} to a server labelled env=${labels['env']}` }
        : { class: 'change', why: `deploys ${action.app}` };
      return { words, text: words.join(' '), verdict };
    }
    case 'tool': {
      const words = [action.tool, ...(action.words ?? [])];
      return { words, text: words.join(' '), verdict: { class: action.class, why: action.why } };
    }
  }
}
