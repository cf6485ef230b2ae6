import { posix } from 'node:path';
import { worstClass, type ActionClass, type Verdict } from './classes.js';
import type { ClassifiedPart, CommandClassifier } from './classify/classify.js';
import { systemDirOf } from './classify/paths.js';

/**
 * What a tool is about to do, as policy sees it. Tools that only read never ask policy; the rest describe
 * themselves with one of these.
 */
export type PolicyAction =
  | { readonly kind: 'command'; readonly command: string }
  /**
   * A file written on the server, by write-file or a transfer-file upload. `target` is where the bytes land when that
   * is not `path` (a symlink written through, a symlinked directory on the way), as the server resolved it.
   */
  | {
      readonly kind: 'write-file';
      readonly path: string;
      readonly exists: boolean;
      readonly target?: string | undefined;
      readonly by?: 'write-file' | 'upload' | undefined;
      /** The permission bits asked for, if any: setuid and setgid make the write privileged. */
      readonly mode?: number | undefined;
      /** write-file keeps the replaced file as a backup unless told not to (named in the reason). */
      readonly backup?: boolean | undefined;
    }
  /** A transfer-file download: reads the server, writes `local` inside DECKHAND_FILES_ROOT on deckhand's machine. */
  | { readonly kind: 'download'; readonly remote: string; readonly local: string; readonly exists: boolean }
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
  const { words, text, verdict, views } = describeTool(action, labels);
  const part: ClassifiedPart = {
    id: 0,
    text,
    words,
    views: views ?? [words],
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
): { words: string[]; text: string; verdict: Verdict; views?: string[][] } {
  switch (action.kind) {
    case 'write-file':
      return describeFileWrite(action);
    case 'download': {
      const words = ['transfer-file', 'download', action.remote, action.local];
      const verdict: Verdict = action.exists
        ? { class: 'destructive', why: `replaces ${action.local} on deckhand's machine` }
        : { class: 'change', why: `creates ${action.local} on deckhand's machine` };
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

/**
 * A file write is classed by every path it touches (as given and as resolved): privileged under a system directory,
 * in an .ssh directory (authorized_keys decides who logs in), in the cron spool, or with setuid/setgid bits;
 * otherwise destructive when it replaces a file and a change when it creates one. A replacement stays destructive
 * with a backup: the new content takes effect at once (a service reloads its config), and the shell's own ways of
 * writing a file (`cp`, `>`) are destructive, so the tool is no way around an approval. Patterns see every write as
 * `write-file <path>` (an upload too): the path resolved is the one allow patterns and grants must match; deny
 * patterns are checked against both.
 */
function describeFileWrite(action: Extract<PolicyAction, { kind: 'write-file' }>): {
  words: string[];
  text: string;
  verdict: Verdict;
  views: string[][];
} {
  const given = posix.normalize(action.path);
  const lands = posix.normalize(action.target ?? action.path);
  const words = ['write-file', lands];
  const views = lands === given ? [words] : [words, ['write-file', given]];
  const shown = lands === given ? lands : `${given} (→ ${lands})`;
  const verb = action.by === 'upload' ? 'uploads to' : 'writes';
  const special = [...new Set([lands, given])].map(sensitivePath).find((s) => s !== null);
  const setid = action.mode !== undefined && (action.mode & 0o6000) !== 0;
  const verdict: Verdict = special
    ? { class: 'privileged', why: `${verb} ${shown}, ${special}` }
    : setid
      ? {
          class: 'privileged',
          why: `${verb} ${shown} with the setuid or setgid bit (mode ${action.mode!.toString(8)})`,
        }
      : action.exists
        ? {
            class: 'destructive',
            why: `replaces the existing file ${shown}${action.by === 'upload' ? '' : action.backup === false ? ' without a backup' : ' (a backup is kept)'}`,
          }
        : { class: 'change', why: `creates the file ${shown}` };
  return { words, text: `write-file ${shown}`, verdict, views };
}

/** Why writing this file is privileged, or null. */
function sensitivePath(p: string): string | null {
  const dir = systemDirOf(p);
  if (dir) return `under ${dir}`;
  if (p.split('/').includes('.ssh')) return 'in an .ssh directory (it decides who may log in)';
  if (p.startsWith('/var/spool/cron/')) return 'in the cron spool (it runs commands on a schedule)';
  return null;
}
