import { envExports, shQuote } from './shell.js';

/**
 * Shell scripts for commands that outlive the SSH connection. POSIX sh only (dash, bash, busybox ash):
 * no tmux, no systemd. Per job, a directory on the remote host holds:
 *   cmd, env (removed once read), cwd   what to run
 *   run                                 the runner: starts cmd in its own session, waits, records exit
 *   runner.pid, boot                    the runner's pid and the boot id it started under
 *   pgid                                the command's process group (what cancel and timeout kill)
 *   out, err                            the command's stdout and stderr, append-only
 *   exit                                the exit status, written atomically when the command ends
 * The follower streams out/err from byte offsets as frames on stdout:
 *   "O <n>\n" + n bytes | "E <n>\n" + n bytes | "P <runner pid>\n" | "X <status>\n" | "L <reason>\n"
 * L reasons: no-dir (no job directory), not-started (no runner was ever launched), runner-gone (it died without an exit record).
 */

export function remoteJobDir(jobId: string): string {
  return `"$HOME"/.deckhand/jobs/${jobId}`;
}

const RUNNER = `d=$1
cd "$d" || exit 97
sh_=sh; command -v bash >/dev/null 2>&1 && sh_=bash
if [ -f env ]; then . ./env; rm -f env; fi
if [ -s cwd ]; then
  if ! cd -- "$(cat "$d/cwd")"; then
    echo "deckhand: cannot change to directory $(cat "$d/cwd")" >> "$d/err"
    echo 126 > "$d/exit.tmp"; mv "$d/exit.tmp" "$d/exit"; exit 0
  fi
fi
if command -v setsid >/dev/null 2>&1; then
  setsid $sh_ "$d/cmd" </dev/null >>"$d/out" 2>>"$d/err" &
else
  $sh_ "$d/cmd" </dev/null >>"$d/out" 2>>"$d/err" &
fi
echo $! > "$d/pgid.tmp"; mv "$d/pgid.tmp" "$d/pgid"
wait $!
echo $? > "$d/exit.tmp"; mv "$d/exit.tmp" "$d/exit"
`;

const FOLLOW = `sz() { if [ -f "$1" ]; then stat -c %s "$1" 2>/dev/null || wc -c < "$1"; else echo 0; fi; }
# Both sizes from one process: the follower polls, and every fork on the server is latency for short commands.
sizes() {
  set -- $(stat -c %s "$d/out" "$d/err" 2>/dev/null)
  if [ $# -eq 2 ]; then so=$1; se=$2; else so=$(sz "$d/out"); se=$(sz "$d/err"); fi
}
boot_now() { cat /proc/sys/kernel/random/boot_id 2>/dev/null; }
# The start command (which becomes start.sh by exec) is still running: it may yet launch the runner.
starting() {
  sp=$(cat "$d/start.pid" 2>/dev/null)
  [ -n "$sp" ] && kill -0 "$sp" 2>/dev/null || return 1
  if [ -r "/proc/$sp/cmdline" ]; then grep -q "\${d##*/}" "/proc/$sp/cmdline" 2>/dev/null || return 1; fi
  return 0
}
alive() {
  # Once the runner is proven ours (same boot, its command line names our directory), kill -0 (a builtin) suffices.
  if [ -n "$ours" ]; then kill -0 "$ours" 2>/dev/null; return; fi
  rp=$(cat "$d/runner.pid" 2>/dev/null)
  [ -n "$rp" ] || return 1
  kill -0 "$rp" 2>/dev/null || return 1
  if [ -f "$d/boot" ] && [ "$(cat "$d/boot")" != "$(boot_now)" ]; then return 1; fi
  if [ -r "/proc/$rp/cmdline" ]; then grep -q "$d" "/proc/$rp/cmdline" 2>/dev/null || return 1; fi
  ours=$rp
  return 0
}
follow() {
  oo=$1; oe=$2; naps=0; ours=
  while :; do
    fin=0; [ -f "$d/exit" ] && fin=1
    moved=0
    sizes
    if [ "$so" -gt "$oo" ]; then printf 'O %s\\n' $((so-oo)); tail -c +$((oo+1)) "$d/out" | head -c $((so-oo)); oo=$so; moved=1; fi
    if [ "$se" -gt "$oe" ]; then printf 'E %s\\n' $((se-oe)); tail -c +$((oe+1)) "$d/err" | head -c $((se-oe)); oe=$se; moved=1; fi
    if [ $fin = 1 ]; then printf 'X %s\\n' "$(cat "$d/exit")"; exit 0; fi
    if [ $moved = 0 ]; then
      # Our SSH session is gone (the connection dropped): stop following; deckhand reattaches with a new one.
      kill -0 "$PPID" 2>/dev/null || exit 0
      if ! alive; then
        [ -f "$d/exit" ] && continue
        # No runner.pid: the command was never launched, unless its start is still on its way (a loaded server, or
        # deckhand died just after sending it): saying so then would start it a second time beside the first.
        w=0; while [ ! -f "$d/runner.pid" ] && { starting || [ $w -lt 30 ]; }; do
          sleep 0.1; w=$((w+1)); kill -0 "$PPID" 2>/dev/null || exit 0
        done
        [ -f "$d/runner.pid" ] || { printf 'L not-started\\n'; exit 0; }
        alive && continue
        printf 'L runner-gone\\n'; exit 0
      fi
      naps=$((naps+1))
      if [ $naps -lt 10 ]; then sleep 0.01; elif [ $naps -lt 40 ]; then sleep 0.05; else sleep 0.2; fi
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
}

const START_END = '# end of deckhand start script';

/** The exec command line: tiny, because the real script (with the user's command) arrives on stdin. */
export function startCommand(jobId: string): string {
  const d = remoteJobDir(jobId);
  // The script arrives on stdin; a connection cut mid-transfer leaves a truncated copy, which must not run
  // (it could launch the command without recording its pid): only a copy ending with START_END is executed.
  return (
    `umask 077; mkdir -p ${d} && echo $$ > ${d}/start.pid && cat > ${d}/start.sh.tmp && ` +
    `[ "$(tail -n 1 ${d}/start.sh.tmp)" = '${START_END}' ] && ` +
    `mv ${d}/start.sh.tmp ${d}/start.sh && exec sh ${d}/start.sh`
  );
}

/** Written to the start command's stdin: lays out the job directory, launches the runner detached, follows. */
export function startPayload(spec: StartSpec): string {
  return [
    `d=${remoteJobDir(spec.jobId)}`,
    'cd "$d" || exit 97',
    `printf '%s' ${shQuote(spec.command)} > cmd`,
    `printf '%s' ${shQuote(envExports(spec.env))} > env`,
    spec.cwd ? `printf '%s' ${shQuote(spec.cwd)} > cwd` : ': > cwd',
    `printf '%s' ${shQuote(RUNNER)} > run`,
    'boot_now_() { cat /proc/sys/kernel/random/boot_id 2>/dev/null; }',
    'boot_now_ > boot',
    ': > out; : > err',
    'if command -v setsid >/dev/null 2>&1; then setsid sh "$d/run" "$d" </dev/null >/dev/null 2>&1 & else nohup sh "$d/run" "$d" </dev/null >/dev/null 2>&1 & fi',
    // Atomically: a follower that finds runner.pid never reads it half-written.
    'echo $! > runner.pid.tmp; mv runner.pid.tmp runner.pid',
    'printf "P %s\\n" "$(cat runner.pid)"',
    FOLLOW,
    'follow 0 0',
    START_END,
    '',
  ].join('\n');
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

/** TERM the command's process group, KILL after the grace period, then say whether anything is left. */
export function killCommand(jobId: string, graceS: number): string {
  const d = remoteJobDir(jobId);
  const ticks = Math.max(1, Math.round(graceS * 10));
  return [
    `d=${d}`,
    `[ -d "$d" ] || { echo no-dir; exit 0; }`,
    'i=0; while [ ! -f "$d/pgid" ] && [ -z "$(cat "$d/exit" 2>/dev/null)" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done',
    'pg=$(cat "$d/pgid" 2>/dev/null)',
    '[ -n "$pg" ] || { echo no-pgid; exit 0; }',
    'kill -TERM -- -"$pg" 2>/dev/null',
    `i=0; while kill -0 -- -"$pg" 2>/dev/null && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i+1)); done`,
    'kill -KILL -- -"$pg" 2>/dev/null',
    'i=0; while kill -0 -- -"$pg" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done',
    'if kill -0 -- -"$pg" 2>/dev/null; then echo alive; else echo gone; fi',
  ].join('\n');
}

/** Removes a finished job's directory, and those of failed jobs kept longer than `keepMinutes`. */
export function cleanupCommand(jobId: string | undefined, keepMinutes: number): string {
  const base = `"$HOME"/.deckhand/jobs`;
  const own = jobId ? `rm -rf ${remoteJobDir(jobId)}; ` : '';
  return (
    own +
    `[ -d ${base} ] && find ${base} -mindepth 2 -maxdepth 2 -name exit -mmin +${Math.max(1, Math.floor(keepMinutes))} 2>/dev/null | ` +
    `while read -r f; do rm -rf "$(dirname "$f")"; done; true`
  );
}
