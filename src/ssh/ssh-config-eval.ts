import { DeckhandError } from '../errors.js';
import { invalid, type ConfigEntry } from './ssh-config-read.js';
import { hostLineMatches, matchPatternList } from './ssh-config-match.js';
import { expandHostName } from './ssh-config-tokens.js';

/** A keyword's first obtained value and where it came from. */
export interface Setting {
  readonly args: readonly string[];
  readonly at: string;
}

/** What one or two passes over the config collected: first value per keyword, every IdentityFile-like value. */
export interface Collected {
  readonly first: Map<string, Setting>;
  readonly repeated: Map<string, Setting[]>;
}

/** Keywords whose every obtained value counts, in order (readconf.c adds them to a list). */
const REPEATABLE = new Set([
  'identityfile',
  'certificatefile',
  'localforward',
  'remoteforward',
  'dynamicforward',
  'sendenv',
]);
const DEDUPLICATED = new Set(['identityfile', 'certificatefile']);

interface PassContext {
  readonly originalHost: string;
  readonly localUser: string;
  /** Pass 1 matches Host lines against the name as given, the final pass against the resolved host name. */
  readonly hostForHostLines: string;
  readonly finalPass: boolean;
}

/**
 * One pass of OpenSSH's readconf over the entries: Host and Match set the active state, an Include restores it
 * afterwards (and applies nothing when it sits in an inactive block), and active lines fill what is still unset.
 * Returns whether a `Match final` asked for a second pass.
 */
export function runPass(entries: readonly ConfigEntry[], ctx: PassContext, into: Collected): boolean {
  let active = true;
  let never = false;
  let wantFinal = false;
  const stack: { active: boolean; never: boolean }[] = [];
  for (const e of entries) {
    if (e.kind === 'enter') {
      stack.push({ active, never });
      never = never || !active;
      continue;
    }
    if (e.kind === 'leave') {
      const saved = stack.pop();
      if (saved) ({ active, never } = saved);
      continue;
    }
    if (e.keyword === 'host') {
      if (e.args.length === 0) throw invalid(e.at, 'Host needs at least one pattern.');
      active = !never && hostLineMatches(e.args, ctx.hostForHostLines);
    } else if (e.keyword === 'match') {
      const r = never ? { matched: false, wantFinal: false } : evalMatch(e.args, e.at, ctx, into);
      active = r.matched;
      wantFinal ||= r.wantFinal;
    } else if (active) {
      set(into, e.keyword, { args: e.args, at: e.at });
    }
  }
  return wantFinal;
}

function set(into: Collected, keyword: string, s: Setting): void {
  if (REPEATABLE.has(keyword)) {
    const list = into.repeated.get(keyword) ?? [];
    // readconf.c skips a key file already listed (the final pass meets the same lines again).
    if (DEDUPLICATED.has(keyword) && list.some((x) => x.args[0] === s.args[0])) return;
    list.push(s);
    into.repeated.set(keyword, list);
    return;
  }
  // ProxyJump and ProxyCommand exclude each other: whichever comes first wins (readconf.c parse_jump).
  if (keyword === 'proxyjump' && into.first.has('proxycommand')) return;
  if (keyword === 'proxycommand' && into.first.has('proxyjump')) return;
  if (!into.first.has(keyword)) into.first.set(keyword, s);
}

/** The host name Match host compares with: HostName as far as set (with %h), else the name as given. */
function matchHost(ctx: PassContext, into: Collected): string {
  if (ctx.finalPass) return ctx.hostForHostLines;
  const hn = into.first.get('hostname');
  return hn ? expandHostName(hn.args[0] ?? '', ctx.originalHost, hn.at) : ctx.originalHost;
}

/**
 * Match criteria, in order, all of which must hold. Supported: all, final, canonical, host, originalhost, user,
 * localuser (and their `!` negations). `exec` is refused when OpenSSH would run it (deckhand never runs commands
 * from a config file, and guessing the outcome would resolve differently from ssh); unknown criteria are refused as
 * ssh refuses them.
 */
function evalMatch(
  args: readonly string[],
  at: string,
  ctx: PassContext,
  into: Collected,
): { matched: boolean; wantFinal: boolean } {
  if (args.length === 0) throw invalid(at, 'Match needs at least one criterion.');
  let result = true;
  let wantFinal = false;
  for (let i = 0; i < args.length;) {
    const raw = args[i++] as string;
    const negate = raw.startsWith('!');
    const attr = (negate ? raw.slice(1) : raw).toLowerCase();
    if (attr === 'all') {
      if (args.some((a) => !/^!?(all|canonical|final)$/i.test(a))) {
        throw invalid(at, "'Match all' cannot be combined with other criteria.");
      }
      if (negate) result = false;
      continue;
    }
    if (attr === 'canonical' || attr === 'final') {
      if (attr === 'final') wantFinal = true;
      if (ctx.finalPass === negate) result = false;
      continue;
    }
    const value = args[i++];
    if (value === undefined) throw invalid(at, `Match ${raw} needs a value.`);
    let r: boolean;
    switch (attr) {
      case 'host':
        r = matchPatternList(matchHost(ctx, into), value, true) === 1;
        break;
      case 'originalhost':
        r = matchPatternList(ctx.originalHost, value, true) === 1;
        break;
      case 'user':
        r = matchPatternList(into.first.get('user')?.args[0] ?? ctx.localUser, value) === 1;
        break;
      case 'localuser':
        r = matchPatternList(ctx.localUser, value) === 1;
        break;
      case 'exec':
        // OpenSSH skips an exec once an earlier criterion failed; only then is it harmless to go on.
        if (!result) continue;
        throw new DeckhandError(
          'ssh_config_unsupported',
          `${at}: "Match exec ${value}" would run a command to decide whether the block applies; deckhand does not run commands from ssh config files.`,
          {
            hint: 'Give the server explicitly (host, user, port, key) instead of ssh_config_host, or add a Host block for it above that Match line.',
          },
        );
      default:
        throw new DeckhandError('ssh_config_unsupported', `${at}: unsupported Match criterion "${raw}".`, {
          hint: 'OpenSSH 9.2 knows all, canonical, final, exec, host, originalhost, user and localuser; deckhand reads all of them but exec.',
        });
    }
    if (r === negate) result = false;
  }
  return { matched: result, wantFinal };
}
