/**
 * The agent's side processes, in POSIX sh (dash, bash, busybox ash). None of them writes the channel: they report to
 * the poller (sh-poller.ts) through the agent's FIFO on fd 5, one short line per printf (a pipe write of at most
 * PIPE_BUF bytes is atomic, so lines from several writers never mix).
 *
 * The reader is the only process that reads the channel. It carries out launches itself, so a launch request (which
 * holds the command's env values) is never copied into the FIFO or any file of the agent: its fields go straight
 * into the job's own files, exactly as the start script writes them (see src/ssh/remote-scripts.ts), and the env file
 * is removed by the runner once read. It carries out cleanups too (dk_clean); every other request is forwarded to
 * the poller as it came.
 *
 * A launch makes the job directory (the launch token) and writes its files in the reader, then forks a watcher: the
 * watcher starts the runner, waits for it and says when it ended, so the poller learns that a short command is done
 * at once instead of at its next poll. The reader collects finished watchers whenever it waits for a command of its
 * own (mkdir, at every launch), so they never pile up. The runner sits in its own session: killing the agent, or its
 * process group, leaves the jobs running.
 *
 * Payload fields are "-" (empty) or the bytes escaped for printf %b (see protocol.ts): no field holds a space.
 */
export const SH_READER = String.raw`
dk_reader() {
  while IFS=' ' read -r dk_op dk_tg dk_a dk_b dk_c dk_d; do
    case $dk_op in
    launch) dk_launch "$dk_tg" "$dk_a" "$dk_b" "$dk_c" "$dk_d" ;;
    cleanup) dk_clean "$dk_tg" "$dk_a" "$dk_b" ;;
    quit) break ;;
    *) printf '%s %s %s %s %s %s\n' "$dk_op" "$dk_tg" "$dk_a" "$dk_b" "$dk_c" "$dk_d" >&5 ;;
    esac
  done
  printf 'quit 0\n' >&5
}

dk_launch() {
  dk_id "$2" || { printf 'e %s bad-job-id\n' "$1" >&5; return; }
  d_=$dk_J/$2
  [ -d "$dk_J" ] || mkdir -p "$dk_J"
  # The job directory is the launch token, as for the start script: of two launches, exactly one makes it.
  if ! mkdir "$d_" 2>/dev/null; then
    if [ -d "$d_" ]; then
      r_=; [ -s "$d_/runner.pid" ] && IFS= read -r r_ <"$d_/runner.pid"
      printf 'x %s %s %s\n' "$1" "$2" "$r_" >&5
    else
      printf 'e %s cannot-create-the-job-directory\n' "$1" >&5
    fi
    return
  fi
  # The start script's files, in its order, with the same bytes.
  if [ "$3" = - ]; then : >"$d_/cmd"; else printf '%b' "$3" >"$d_/cmd"; fi
  [ "$4" = - ] || printf '%b' "$4" >"$d_/env"
  if [ "$5" = - ]; then : >"$d_/cwd"; else printf '%b' "$5" >"$d_/cwd"; fi
  printf '%s' "$dk_run" >"$d_/run"
  echo "$dk_boot" >"$d_/boot"
  : >"$d_/out"; : >"$d_/err"
  (dk_watch "$1" "$2" "$d_") &
}

# Starts the runner from the job directory (the start script starts it from there too) and waits for it.
dk_watch() {
  cd "$3" || { printf 'e %s cannot-enter-the-job-directory\n' "$1" >&5; exit 0; }
  if [ -n "$dk_setsid" ]; then
    setsid sh "$3/run" "$3" </dev/null >/dev/null 2>&1 5<&- &
  else
    nohup sh "$3/run" "$3" </dev/null >/dev/null 2>&1 5<&- &
  fi
  k_=$!
  echo "$k_" >runner.pid
  printf 'p %s %s %s\n' "$1" "$2" "$k_" >&5
  wait "$k_"
  printf 'w 0 %s\n' "$2" >&5
}

# The same steps as killCommand in remote-scripts.ts; $3 is the grace period in tenths of a second.
dk_kill() {
  d_=$dk_J/$2; r_=gone
  if [ ! -d "$d_" ]; then r_=no-dir; else
    i_=0; while [ ! -s "$d_/pgid" ] && [ ! -s "$d_/exit" ] && [ $i_ -lt 30 ]; do sleep 0.1; i_=$((i_ + 1)); done
    pg_=; [ -s "$d_/pgid" ] && IFS= read -r pg_ <"$d_/pgid"
    if [ -z "$pg_" ]; then r_=no-pgid; else
      kill -TERM -"$pg_" 2>/dev/null
      i_=0; while kill -0 -"$pg_" 2>/dev/null && [ $i_ -lt "$3" ]; do sleep 0.1; i_=$((i_ + 1)); done
      kill -KILL -"$pg_" 2>/dev/null
      i_=0; while kill -0 -"$pg_" 2>/dev/null && [ $i_ -lt 20 ]; do sleep 0.1; i_=$((i_ + 1)); done
      kill -0 -"$pg_" 2>/dev/null && r_=alive
    fi
  fi
  printf 'k %s %s\n' "$1" "$r_" >&5
}

# A cleanup request. Removing an ended job's own directory is one rm, done here: after every command, the two forks
# of a background helper cost the server more than the rm itself. A sweep walks every job directory and goes to a
# helper, so launches never wait for it.
dk_clean() {
  if ! { [ "$2" = - ] || dk_id "$2"; } || ! { [ "$3" = - ] || dk_num "$3"; }; then
    printf 'e %s bad-cleanup-request\n' "$1" >&5
  elif [ "$3" = - ]; then
    dk_cleanup "$1" "$2" -
  else
    (exec </dev/null >/dev/null 2>&1; dk_cleanup "$1" "$2" "$3" &)
  fi
}

# The same steps as cleanupCommand in remote-scripts.ts: the job's own directory ("-": none), then the sweep of
# directories whose exit record is older than $3 minutes ("-": no sweep).
dk_cleanup() {
  [ "$2" = - ] || rm -rf "$dk_J/$2"
  if [ "$3" != - ] && [ -d "$dk_J" ]; then
    find "$dk_J" -mindepth 2 -maxdepth 2 -name exit -mmin +"$3" 2>/dev/null |
      while read -r f_; do rm -rf "$(dirname "$f_")"; done
  fi
  printf 'c %s\n' "$1" >&5
}
`;
