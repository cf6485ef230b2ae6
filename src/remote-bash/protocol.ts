import { envExports, shQuote } from '../ssh/shell.js';

/**
 * Shell scripts for commands that outlive the SSH connection. POSIX sh only (dash, bash, busybox ash):
 * no tmux, no systemd. Per job, a directory on the remote host holds:
 *   start.pid                           the pid of the shell running the start script
 *   cmd, env (removed once read), cwd   what to run
 *   run                                 the runner: starts cmd in its own session, waits, records exit
 *   runner.pid, boot                    the runner's pid and the boot id it started under
 *   pgid                                the command's process group (what cancel and timeout kill)
 *   out, err                            the command's stdout and stderr, append-only
 *   exit                                the exit status, written when the command ends
 * runner.pid, pgid and exit are each written by a single write() of a few bytes, so a reader sees them empty or
 * whole: readers test -s (non-empty), never -f. That spares an mv (a fork) per file on every command.
 * The follower streams out/err from byte offsets as frames on stdout:
 *   "O <n>\n" + n bytes | "E <n>\n" + n bytes | "P <runner pid>\n" | "X <status>\n" | "L <reason>\n"
 * L reasons: no-dir (no job directory), not-started (no runner was ever launched), runner-gone (it died without an exit record).
 * Every fork on the server is latency for a short command, so the scripts read files with the read builtin.
 */

export function remoteJobDir(jobId: string): string {
  return `"$HOME"/.deckhand/jobs/${jobId}`;
}

/** The runner every launch writes to the job directory as `run` (the resident agent writes the same bytes). */
export const RUNNER = `d=$1
cd "$d" || exit 97
sh_=sh; command -v bash >/dev/null 2>&1 && sh_=bash
su_=; [ -s sudo ] && IFS= read -r su_ < sudo
# Under sudo, env is read by the root side (sudo resets the environment) and the login's own shell keeps none of it.
if [ -z "$su_" ] && [ -f env ]; then . ./env; rm -f env; fi
if [ -s cwd ]; then
  if ! cd -- "$(cat "$d/cwd")"; then
    echo "deckhand: cannot change to directory $(cat "$d/cwd")" >> "$d/err"
    echo 126 > "$d/exit"; exit 0
  fi
fi
if [ -n "$su_" ]; then
  # sudo -n (passwordless) or sudo -S (the password, one line, on this script's stdin: never in a file or an argv).
  # The root side records its process group (rpgid: cancel and timeout kill it through sudo too), reads env, and
  # runs the command with stdin from /dev/null, so a password sudo did not need is never the command's input.
  w_='d=$1; read -r _ _ _ _ g_ _ < /proc/$$/stat && echo "$g_" > "$d/rpgid"; if [ -f "$d/env" ]; then . "$d/env"; rm -f "$d/env"; fi; exec "$2" "$d/cmd" </dev/null'
  if [ "$su_" = S ]; then
    # A background command's stdin is /dev/null before its own redirections apply: hand it the pipe through fd 3.
    exec 3<&0
    setsid sudo -S -p '' -- sh -c "$w_" sh "$d" "$sh_" <&3 3<&- >>"$d/out" 2>>"$d/err" &
  else
    setsid sudo -n -- sh -c "$w_" sh "$d" "$sh_" </dev/null >>"$d/out" 2>>"$d/err" &
  fi
  echo $! > "$d/pgid"
  exec 3<&- </dev/null
  wait $!
  st_=$?
  [ -s "$d/rpgid" ] || echo "deckhand: sudo did not run the command (exit $st_; see its message above)" >> "$d/err"
  echo $st_ > "$d/exit"
  exit 0
fi
if command -v setsid >/dev/null 2>&1; then
  setsid $sh_ "$d/cmd" </dev/null >>"$d/out" 2>>"$d/err" &
else
  $sh_ "$d/cmd" </dev/null >>"$d/out" 2>>"$d/err" &
fi
echo $! > "$d/pgid"
wait $!
echo $? > "$d/exit"
`;

const FOLLOW = `sz() { if [ -f "$1" ]; then stat -c %s "$1" 2>/dev/null || wc -c < "$1"; else echo 0; fi; }
# Both sizes from one process: the follower polls, and every fork on the server is latency for short commands.
sizes() {
  set -- $(stat -c %s "$d/out" "$d/err" 2>/dev/null)
  if [ $# -eq 2 ]; then so=$1; se=$2; else so=$(sz "$d/out"); se=$(sz "$d/err"); fi
}
rd() { v_=; [ -s "$1" ] && IFS= read -r v_ < "$1"; [ -n "$v_" ]; }
# The start script (sh -s <job id>) is still running: it may yet launch the runner.
starting() {
  rd "$d/start.pid" || return 1
  sp=$v_
  kill -0 "$sp" 2>/dev/null || return 1
  if [ -r "/proc/$sp/cmdline" ]; then grep -q "\${d##*/}" "/proc/$sp/cmdline" 2>/dev/null || return 1; fi
  return 0
}
alive() {
  # Once the runner is proven ours (same boot, its command line names our directory), kill -0 (a builtin) suffices.
  if [ -n "$ours" ]; then kill -0 "$ours" 2>/dev/null; return; fi
  rd "$d/runner.pid" || return 1
  rp=$v_
  kill -0 "$rp" 2>/dev/null || return 1
  # procfs files report size 0, so the boot id is read directly rather than through rd.
  if rd "$d/boot"; then
    bn_=; IFS= read -r bn_ 2>/dev/null < /proc/sys/kernel/random/boot_id
    [ -n "$bn_" ] && [ "$v_" != "$bn_" ] && return 1
  fi
  if [ -r "/proc/$rp/cmdline" ]; then grep -q "$d" "/proc/$rp/cmdline" 2>/dev/null || return 1; fi
  ours=$rp
  # A start that found the job launched by another, before its runner.pid was written, says so now.
  [ -n "$said" ] || { printf 'P %s\\n' "$rp"; said=1; }
  return 0
}
# Sleeps $1 seconds; when the runner is our own child (we launched it), its exit ends the nap at once: wait returns
# when the child exits, or when the timer subshell's USR1 (trapped) arrives. A short command is then seen done the
# moment it is, not at the next poll.
nap() {
  if [ -n "$kid" ] && kill -0 "$kid" 2>/dev/null; then
    # Its output goes nowhere: a sleep left running must not hold the SSH channel open after we exit.
    ( sleep "$1"; kill -USR1 $$ 2>/dev/null ) </dev/null >/dev/null 2>&1 & tp_=$!
    wait "$kid" 2>/dev/null
    kill "$tp_" 2>/dev/null
  else
    kid=
    sleep "$1"
  fi
}
follow() {
  oo=$1; oe=$2; naps=0
  trap : USR1
  while :; do
    fin=0; [ -s "$d/exit" ] && fin=1
    moved=0
    sizes
    if [ "$so" -gt "$oo" ]; then printf 'O %s\\n' $((so-oo)); tail -c +$((oo+1)) "$d/out" | head -c $((so-oo)); oo=$so; moved=1; fi
    if [ "$se" -gt "$oe" ]; then printf 'E %s\\n' $((se-oe)); tail -c +$((oe+1)) "$d/err" | head -c $((se-oe)); oe=$se; moved=1; fi
    if [ $fin = 1 ]; then rd "$d/exit"; printf 'X %s\\n' "$v_"; exit 0; fi
    if [ $moved = 0 ]; then
      # Our SSH session is gone (the connection dropped): stop following; deckhand reattaches with a new one.
      kill -0 "$PPID" 2>/dev/null || exit 0
      if ! alive; then
        [ -s "$d/exit" ] && continue
        # No runner.pid: the command was never launched, unless its start is still on its way (a loaded server, or
        # deckhand died just after sending it): saying so then would start it a second time beside the first.
        w=0; while [ ! -s "$d/runner.pid" ] && { starting || [ $w -lt 30 ]; }; do
          sleep 0.1; w=$((w+1)); kill -0 "$PPID" 2>/dev/null || exit 0
        done
        if [ ! -s "$d/runner.pid" ]; then
          # Nothing was launched and no start is under way: give the launch token (the directory) back, so the
          # next start launches.
          rm -rf "$d"
          printf 'L not-started\\n'; exit 0
        fi
        # A runner between fork and exec is alive, but its command line does not name us yet (the other of two starts
        # sent together launched it a moment ago): give it the same 3 s before calling it gone.
        w=0; while ! alive && [ ! -s "$d/exit" ] && rd "$d/runner.pid" && kill -0 "$v_" 2>/dev/null && [ $w -lt 30 ]; do
          sleep 0.1; w=$((w+1)); kill -0 "$PPID" 2>/dev/null || exit 0
        done
        alive && continue
        [ -s "$d/exit" ] && continue
        printf 'L runner-gone\\n'; exit 0
      fi
      naps=$((naps+1))
      if [ $naps -lt 10 ]; then nap 0.01; elif [ $naps -lt 40 ]; then nap 0.05; else nap 0.2; fi
    else
      naps=0
    fi
  done
}
`;

export interface StartSpec {
  readonly jobId: string;
  readonly command: string;
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Run as root through sudo: `-n` (passwordless), or `-S` with this password fed to sudo on stdin. */
  readonly sudo?: SudoMode | undefined;
}

export type SudoMode = { readonly kind: 'n' } | { readonly kind: 'S'; readonly password: string };

/**
 * The exec command line. The script itself (with the user's command and env values, which must not show in the
 * server's process list) arrives on stdin. The job id on the command line lets a follower recognise a start that
 * is still under way. Reading the script from stdin, rather than saving it to a file first, spares two forks.
 */
export function startCommand(jobId: string): string {
  return `umask 077; exec sh -s ${jobId}`;
}

/**
 * Written to the start command's stdin: launches the command detached, unless a start of this job already did (the
 * job directory is the launch token: of two starts, say one sent before a crash and one after, exactly one makes
 * it), then follows its output from the offsets deckhand already holds. Sending it again is therefore always safe.
 * Everything is inside main(), called on the last line: a copy cut short by a dropped connection fails to parse
 * and runs nothing.
 */
export function startPayload(spec: StartSpec, outOffset = 0, errOffset = 0): string {
  const env = envExports(spec.env);
  return [
    'main() {',
    `d=${remoteJobDir(spec.jobId)}`,
    'kid=; ours=; said=',
    '[ -d "$HOME"/.deckhand/jobs ] || mkdir -p "$HOME"/.deckhand/jobs',
    'if mkdir "$d" 2>/dev/null; then',
    'cd "$d" || exit 97',
    'echo $$ > start.pid',
    `printf '%s' ${shQuote(spec.command)} > cmd`,
    env ? `printf '%s' ${shQuote(env)} > env` : ':',
    spec.cwd ? `printf '%s' ${shQuote(spec.cwd)} > cwd` : ': > cwd',
    `printf '%s' ${shQuote(RUNNER)} > run`,
    spec.sudo ? `printf '%s' ${spec.sudo.kind} > sudo` : ':',
    'b_=; IFS= read -r b_ 2>/dev/null < /proc/sys/kernel/random/boot_id; echo "$b_" > boot',
    ': > out; : > err',
    launchLine(spec.sudo),
    // Our own child: no need to prove it ours through /proc, and its exit can end a nap at once.
    'kid=$!; ours=$kid',
    'echo "$kid" > runner.pid',
    'printf "P %s\\n" "$kid"; said=1',
    'else',
    'cd "$d" || exit 97',
    // Launched by an earlier start: say so, so deckhand records it as launched whatever happens next.
    'if [ -s runner.pid ]; then IFS= read -r r_ < runner.pid; printf "P %s\\n" "$r_"; said=1; fi',
    'fi',
    FOLLOW,
    `follow ${Math.floor(outOffset)} ${Math.floor(errOffset)}`,
    '}',
    'main',
    '',
  ].join('\n');
}

/**
 * Starts the runner detached; `$!` is then its pid. With a sudo password, the runner's stdin is a pipe holding that
 * one line, written by printf, a shell builtin: it is in no process's arguments and no file.
 */
function launchLine(sudo: SudoMode | undefined): string {
  const feed = sudo?.kind === 'S' ? `printf '%s\\n' ${shQuote(sudo.password)} | ` : '';
  const stdin = feed ? '' : ' </dev/null';
  return (
    `if command -v setsid >/dev/null 2>&1; then ${feed}setsid sh "$d/run" "$d"${stdin} >/dev/null 2>&1 & ` +
    `else ${feed}nohup sh "$d/run" "$d"${stdin} >/dev/null 2>&1 & fi`
  );
}

/** Reattaches to a job directory after a dropped connection or a restart, from the offsets already stored. */
export function followCommand(jobId: string, outOffset: number, errOffset: number): string {
  const d = remoteJobDir(jobId);
  return [
    `d=${d}`,
    // A start sent just before deckhand died may still be on its way on a loaded server: give it a moment to appear.
    `i=0; while [ ! -d "$d" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done`,
    `[ -d "$d" ] || { printf 'L no-dir\\n'; exit 0; }`,
    FOLLOW,
    `follow ${Math.floor(outOffset)} ${Math.floor(errOffset)}`,
  ].join('\n');
}

/**
 * TERM the command's process group, KILL after the grace period, then say whether anything is left. A command run
 * through sudo belongs to root: the same steps run through sudo (its password, if any, on this script's stdin), on
 * both sudo's process group and the one the root side recorded (rpgid).
 */
export function killCommand(jobId: string, graceS: number, sudo?: SudoMode['kind']): string {
  const d = remoteJobDir(jobId);
  const ticks = Math.max(1, Math.round(graceS * 10));
  // `kill -SIG -PGID`, never `kill -- -PGID`: dash's and busybox's kill builtins refuse the `--`.
  const steps = [
    'kill -TERM "$@" 2>/dev/null',
    'alive() { for g in "$@"; do kill -0 "$g" 2>/dev/null && return 0; done; return 1; }',
    `i=0; while alive "$@" && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i+1)); done`,
    'kill -KILL "$@" 2>/dev/null',
    'i=0; while alive "$@" && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done',
    'if alive "$@"; then echo alive; else echo gone; fi',
  ].join('\n');
  const as = sudo === 'S' ? `sudo -S -p '' -- ` : sudo === 'n' ? 'sudo -n -- ' : '';
  return [
    `d=${d}`,
    `[ -d "$d" ] || { echo no-dir; exit 0; }`,
    'i=0; while [ ! -s "$d/pgid" ] && [ ! -s "$d/exit" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done',
    'pg=$(cat "$d/pgid" 2>/dev/null)',
    '[ -n "$pg" ] || { echo no-pgid; exit 0; }',
    'rg=$(cat "$d/rpgid" 2>/dev/null)',
    `${as}sh -c ${shQuote(steps)} sh -"$pg" \${rg:+-"$rg"}`,
  ].join('\n');
}

/**
 * Removes a finished job's directory and, when `keepMinutes` is given, sweeps those of failed jobs kept longer than
 * that (a failed job's directory is kept a while for inspection).
 */
export function cleanupCommand(jobId: string | undefined, keepMinutes: number | undefined): string {
  const base = `"$HOME"/.deckhand/jobs`;
  const own = jobId ? `rm -rf ${remoteJobDir(jobId)}; ` : '';
  if (keepMinutes === undefined) return `${own}true`;
  return (
    own +
    `[ -d ${base} ] && find ${base} -mindepth 2 -maxdepth 2 -name exit -mmin +${Math.max(1, Math.floor(keepMinutes))} 2>/dev/null | ` +
    `while read -r f; do rm -rf "$(dirname "$f")"; done; true`
  );
}
