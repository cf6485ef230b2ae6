import { RUNNER } from '../protocol.js';
import { shQuote } from '../../ssh/shell.js';
import { SH_POLLER } from './sh-poller.js';
import { SH_READER } from './sh-reader.js';

/** Bumped whenever a request or a frame changes meaning; the client refuses an agent that says another. */
export const AGENT_PROTOCOL = 1;

/** Largest data frame: one chatty job cannot hold the channel for long while others wait. */
const MAX_FRAME = 1 << 22;

/** Frames a stream may send in one pass of the poller: 32 MiB a pass, hundreds of MB a second at a 50 ms tick. */
const BURST_FRAMES = 8;

/**
 * The exec command that starts the agent. sshd runs it through the user's login shell, which is the one shell start
 * the agent pays. It keeps to syntax every login shell takes (sh, bash, zsh, fish, csh: one line, single quotes) and
 * reads the agent itself from stdin: its length on a line, then the script, read by head -c before the agent says
 * hello, and the client sends nothing more until then, so head cannot read past it. `umask 077` as for the start
 * script: job directories and their output are the user's alone.
 */
export function agentCommand(shell = 'sh'): string {
  return `umask 077; exec ${shell} -c 'IFS= read -r n; eval "$(head -c "$n")"' deckhand-agent`;
}

/** What the client writes first on the agent's stdin. */
export function agentBootstrap(): Buffer {
  const script = Buffer.from(agentScript(), 'utf8');
  return Buffer.concat([Buffer.from(`${script.length}\n`), script]);
}

/**
 * The whole agent. Its environment is the login shell's, inherited when sshd started it: every command it launches
 * gets exactly what `ssh host cmd` gives (PATH and whatever the start-up files export), as it was when the agent
 * started. The agent sets only variables of its own (dk_*, never exported) and never changes directory, so nothing of
 * its own leaks into a command.
 *
 * Processes: the poller (the exec'd shell, sh-poller.ts), the reader (sh-reader.ts), and short-lived helpers. They
 * meet in a FIFO that is unlinked as soon as it is open, so nothing is left on disk whatever kills the agent.
 * Every process but the poller has its stdout away from the channel, so the channel closes as soon as the poller
 * ends, and the client learns that the agent is gone.
 */
export function agentScript(): string {
  return [
    'dk_J="$HOME"/.deckhand/jobs',
    `dk_proto=${AGENT_PROTOCOL}`,
    `dk_max=${MAX_FRAME}`,
    `dk_burst=${BURST_FRAMES}`,
    `dk_run=${shQuote(RUNNER)}`,
    SH_COMMON,
    SH_READER,
    SH_POLLER,
    SH_START,
  ].join('\n');
}

const SH_COMMON = String.raw`
dk_id() { case $1 in '' | *[!A-Za-z0-9_]*) return 1 ;; esac; }
dk_num() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
`;

const SH_START = String.raw`
dk_start() {
  set -f
  # Env values are written with printf: as an external command it would show them in the process list.
  case $(command -V printf 2>/dev/null) in *builtin*) ;; *) printf 'F printf is not a shell builtin\n'; exit 1 ;; esac
  [ -d "$dk_J" ] || mkdir -p "$dk_J" || { printf 'F cannot create the jobs directory\n'; exit 1; }
  # Read once: the boot id cannot change under a running agent, nor can where setsid is.
  dk_boot=; IFS= read -r dk_boot 2>/dev/null </proc/sys/kernel/random/boot_id
  dk_setsid=; command -v setsid >/dev/null 2>&1 && dk_setsid=1
  dk_q="$HOME"/.deckhand/agent.$$
  mkfifo "$dk_q" 2>/dev/null || { rm -f "$dk_q"; mkfifo "$dk_q"; } || { printf 'F mkfifo failed\n'; exit 1; }
  exec 5<>"$dk_q" || { printf 'F cannot open the fifo\n'; exit 1; }
  rm -f "$dk_q"
  # A background list reads /dev/null unless told otherwise: hand the reader the channel through fd 3. Redirections
  # are made with exec inside subshells, here and for every helper: on a function call the shell would keep copies
  # of the channel's descriptors in fds above 9, and a helper holding the channel's stdout keeps the channel open
  # after the poller is gone (a watcher, for as long as its job runs).
  exec 3<&0
  (exec <&3 3<&- >/dev/null 2>&1; dk_reader) &
  exec </dev/null 3<&-
  dk_poll
}
dk_start
`;
