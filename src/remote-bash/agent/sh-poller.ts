/**
 * The agent's poller, in POSIX sh: the only process that writes the channel, so a frame's header and its bytes are
 * never split by another frame. It blocks on the FIFO (fd 5), whose lines are requests forwarded by the reader, notes
 * from launches, kills and cleanups, and its own timer's ticks. sh has no read with a timeout; a timer process that
 * writes a tick into the same FIFO gives one, and no wake-up can be lost, since a pipe keeps what was written.
 *
 * Following a job is what the follower in remote-scripts.ts does, for many jobs in one loop: the exit record is
 * checked before the sizes (so everything written before it is sent first), output goes out from the byte offsets
 * held, and a job that is neither running nor finished is reported lost with the same reasons (no-dir, not-started,
 * runner-gone). The polling schedule is the follower's too (10 ms, then 50 ms, then 200 ms while nothing moves), but
 * while every followed job is one this agent launched, it starts at 50 ms: their watchers say when they end, and on a
 * small server the 10 ms ticks' forks take the CPU a short command needs.
 * Waits measured in time (3 s for a start under way) use dk_clk, the sum of the ticks that fired: never more than
 * the time that really passed, so a wait lasts at least as long as the follower's.
 *
 * Frames (all headers are one line; ids are [A-Za-z0-9_]):
 *   H deckhand-agent <protocol> <pid>      once, when ready         R <tag> <word> [<text>]   answer to a request
 *   O|E <job> <offset> <n> + n bytes       stdout | stderr bytes    P <job> <runner pid>      the runner is running
 *   X <job> <status>                       the command ended        L <job> <reason>          the outcome is unknown
 */
export const SH_POLLER = String.raw`
dk_on() { case " $dk_list " in *" $1 "*) return 0 ;; esac; return 1; }
dk_drop() {
  l_=; for x_ in $dk_list; do [ "$x_" = "$1" ] || l_="$l_ $x_"; done; dk_list=$l_
  eval "x_=\$dk_x_$1"; [ -z "$x_" ] || dk_nf=$((dk_nf - 1))
  unset dk_o_$1 dk_e_$1 dk_r_$1 dk_s_$1 dk_w_$1 dk_f_$1 dk_h_$1 dk_x_$1 dk_k_$1
}
# dk_k_<job>: the runner pid of a launch by this agent, whose watcher says when it ends. dk_x_<job>: a followed job
# launched elsewhere, counted in dk_nf; only those need the 10 ms polls to see a short command end at once. A follow
# sent with its launch ($4 = L) is not counted: its launch's note is on its way.
dk_follow() {
  if ! dk_on "$1"; then
    dk_list="$dk_list $1"
    eval "k_=\$dk_k_$1 dk_x_$1="
    [ -n "$k_" ] || [ "$4" = L ] || { eval "dk_x_$1=1"; dk_nf=$((dk_nf + 1)); }
  fi
  eval "dk_o_$1=$2 dk_e_$1=$3 dk_r_$1=\$dk_k_$1 dk_s_$1=\$dk_k_$1 dk_w_$1="
}
dk_own() {
  eval "dk_k_$1=$2"
  dk_on "$1" || return 0
  eval "x_=\$dk_x_$1 dk_r_$1=$2 dk_s_$1=1 dk_x_$1="
  [ -z "$x_" ] || dk_nf=$((dk_nf - 1))
}
# The follower's alive(): once the runner is proven ours (same boot, its command line names our directory), kill -0.
# A live pid whose command line does not name us yet sets dk_young: a runner between fork and exec looks like that.
dk_alive() {
  eval "r_=\$dk_r_$1"
  if [ -n "$r_" ]; then kill -0 "$r_" 2>/dev/null; return; fi
  a_=$dk_J/$1; v_=
  [ -s "$a_/runner.pid" ] && IFS= read -r v_ <"$a_/runner.pid"
  [ -n "$v_" ] || return 1
  kill -0 "$v_" 2>/dev/null || return 1
  if [ -n "$dk_boot" ] && [ -s "$a_/boot" ]; then
    b_=; IFS= read -r b_ <"$a_/boot"; [ "$b_" = "$dk_boot" ] || return 1
  fi
  if [ -r "/proc/$v_/cmdline" ]; then grep -q "$a_" "/proc/$v_/cmdline" 2>/dev/null || { dk_young=1; return 1; }; fi
  eval "dk_r_$1=$v_ s_=\$dk_s_$1"
  [ -n "$s_" ] || { printf 'P %s %s\n' "$1" "$v_"; eval "dk_s_$1=1"; }
}
# The follower's starting(): a start script (sh -s <job id>) is still running and may yet launch the runner.
dk_starting() {
  v_=; [ -s "$dk_J/$1/start.pid" ] && IFS= read -r v_ <"$dk_J/$1/start.pid"
  [ -n "$v_" ] || return 1
  kill -0 "$v_" 2>/dev/null || return 1
  if [ -r "/proc/$v_/cmdline" ]; then grep -q "$1" "/proc/$v_/cmdline" 2>/dev/null || return 1; fi
}
# Nothing moved and no exit record: is the job still running, still starting, or lost? As the follower decides, except
# that a runner not yet proven ours gets the same 3 s as a start under way (it may not have exec'd yet), and that a
# directory gone for good says no-dir.
dk_check() {
  c_=$dk_J/$1; dk_young=
  if dk_alive "$1"; then eval "dk_w_$1="; return; fi
  [ -s "$c_/exit" ] && { dk_moved=1; return; }
  if [ -s "$c_/runner.pid" ]; then
    # It may have been written since dk_alive looked.
    dk_young=; dk_alive "$1" && { eval "dk_w_$1="; return; }
    [ -s "$c_/exit" ] && { dk_moved=1; return; }
    [ -n "$dk_young" ] || { printf 'L %s runner-gone\n' "$1"; dk_drop "$1"; return; }
  fi
  eval "w_=\$dk_w_$1"
  [ -n "$w_" ] || { eval "dk_w_$1=$dk_clk"; return; }
  [ -z "$dk_young" ] && [ -d "$c_" ] && dk_starting "$1" && return
  [ $((dk_clk - w_)) -lt 3000 ] && return
  if [ -n "$dk_young" ]; then
    printf 'L %s runner-gone\n' "$1"
  elif [ ! -d "$c_" ]; then
    printf 'L %s no-dir\n' "$1"
  elif [ ! -s "$c_/runner.pid" ]; then
    # Nothing was launched and no start is under way: give the launch token back, so the next start launches.
    rm -rf "$c_"; printf 'L %s not-started\n' "$1"
  else
    return
  fi
  dk_drop "$1"
}
# One data frame: kind job file offset size, at most dk_max bytes. Sets em_ to the new offset.
dk_emit() {
  n_=$(($5 - $4))
  [ $n_ -gt $dk_max ] && n_=$dk_max
  printf '%s %s %s %s\n' "$1" "$2" "$4" "$n_"
  if [ "$4" = 0 ]; then head -c "$n_" <"$3"; else tail -c +$(($4 + 1)) "$3" | head -c "$n_"; fi
  em_=$(($4 + n_))
}
# Up to dk_burst frames a stream in one pass: a job writing fast is not held to one frame per tick (a tick is 10 to
# 200 ms), and one with a large backlog still lets the other jobs' frames through between passes.
dk_job() {
  j_=$dk_J/$1
  eval "oo_=\$dk_o_$1 oe_=\$dk_e_$1 fin_=\$dk_f_$1"
  f0_=$fin_ mv_=0 k_=0
  while [ "$2" -gt "$oo_" ] && [ $k_ -lt $dk_burst ]; do dk_emit O "$1" "$j_/out" "$oo_" "$2"; oo_=$em_; k_=$((k_ + 1)); done
  k_=0
  while [ "$3" -gt "$oe_" ] && [ $k_ -lt $dk_burst ]; do dk_emit E "$1" "$j_/err" "$oe_" "$3"; oe_=$em_; k_=$((k_ + 1)); done
  eval "x_=\$dk_o_$1 y_=\$dk_e_$1"
  [ "$oo_" = "$x_" ] && [ "$oe_" = "$y_" ] || { mv_=1; eval "dk_o_$1=$oo_ dk_e_$1=$oe_"; }
  # The exit record goes out only once everything before it has.
  fin_=$f0_; { [ "$2" -gt "$oo_" ] || [ "$3" -gt "$oe_" ]; } && fin_=
  [ $mv_ = 1 ] && dk_moved=1
  if [ -n "$fin_" ]; then
    v_=; IFS= read -r v_ <"$j_/exit"; printf 'X %s %s\n' "$1" "$v_"; dk_drop "$1"; return
  fi
  [ $mv_ = 1 ] || dk_check "$1"
}
dk_size() { if [ -f "$1" ]; then stat -c %s "$1" 2>/dev/null || wc -c <"$1"; else echo 0; fi; }
# One pass over the given jobs: exit records first, then every size from one stat (a fork is latency), then frames.
dk_pass() {
  [ $# -gt 0 ] || return 0
  dk_ids=$*; q_=0
  for p_; do
    if [ -s "$dk_J/$p_/exit" ]; then eval "dk_f_$p_=1"; else eval "dk_f_$p_="; fi
  done
  set --
  for p_ in $dk_ids; do
    # Empty files need no stat: a short command's output often is.
    if [ -s "$dk_J/$p_/out" ] || [ -s "$dk_J/$p_/err" ]; then
      set -- "$@" "$dk_J/$p_/out" "$dk_J/$p_/err"; eval "dk_h_$p_=1"; q_=$((q_ + 2))
    else
      eval "dk_h_$p_="
    fi
  done
  if [ $q_ -gt 0 ]; then set -- $(stat -c %s "$@" 2>/dev/null); fi
  if [ $# -ne $q_ ]; then
    set --
    for p_ in $dk_ids; do
      eval "h_=\$dk_h_$p_"
      [ -z "$h_" ] || set -- "$@" "$(dk_size "$dk_J/$p_/out")" "$(dk_size "$dk_J/$p_/err")"
    done
  fi
  for p_ in $dk_ids; do
    eval "h_=\$dk_h_$p_"
    if [ -n "$h_" ]; then dk_job "$p_" "$1" "$2"; shift 2; else dk_job "$p_" 0 0; fi
  done
}
# At most one timer runs; a shorter interval wanted replaces a longer one. Ticks of a replaced timer are ignored.
dk_arm() {
  if [ -z "$dk_list" ]; then
    [ -z "$dk_tp" ] || { kill "$dk_tp" 2>/dev/null; wait "$dk_tp" 2>/dev/null; dk_tp=; }
    return
  fi
  if [ $dk_naps -lt 10 ] && [ $dk_nf -gt 0 ]; then t_=10; elif [ $dk_naps -lt 40 ]; then t_=50; else t_=200; fi
  if [ -n "$dk_tp" ]; then
    [ $t_ -ge $dk_tms ] && return
    kill "$dk_tp" 2>/dev/null; wait "$dk_tp" 2>/dev/null
  fi
  dk_gen=$((dk_gen + 1)); dk_tms=$t_
  case $t_ in 10) s_=0.01 ;; 50) s_=0.05 ;; *) s_=0.2 ;; esac
  (exec </dev/null >/dev/null 2>&1; sleep $s_; printf 't %s\n' $dk_gen >&5) &
  dk_tp=$!
}
dk_poll() {
  dk_list= dk_nf=0 dk_gen=0 dk_tp= dk_tms=0 dk_clk=0 dk_naps=0
  printf 'H deckhand-agent %s %s\n' "$dk_proto" "$$"
  while IFS=' ' read -r dk_op dk_tg dk_a dk_b dk_c dk_d <&5; do
    dk_moved=0
    case $dk_op in
    t)
      [ "$dk_tg" = "$dk_gen" ] || continue
      wait "$dk_tp" 2>/dev/null; dk_tp=; dk_clk=$((dk_clk + dk_tms))
      dk_pass $dk_list
      [ $dk_moved = 1 ] || dk_naps=$((dk_naps + 1)) ;;
    follow)
      if dk_id "$dk_a" && dk_num "$dk_b" && dk_num "$dk_c"; then
        dk_follow "$dk_a" "$dk_b" "$dk_c" "$dk_d"; dk_moved=1; dk_pass "$dk_a"
      else
        printf 'R %s err bad-follow-request\n' "$dk_tg"
      fi ;;
    unfollow) dk_id "$dk_a" && dk_drop "$dk_a"; printf 'R %s ok\n' "$dk_tg" ;;
    ping) printf 'R %s pong\n' "$dk_tg" ;;
    kill)
      if dk_id "$dk_a" && dk_num "$dk_b"; then
        (exec </dev/null >/dev/null 2>&1; dk_kill "$dk_tg" "$dk_a" "$dk_b" &)
      else
        printf 'R %s err bad-kill-request\n' "$dk_tg"
      fi ;;
    p)
      printf 'R %s launched %s\n' "$dk_tg" "$dk_b"
      # The client reports the pid of a launch from this answer: no P frame for it.
      dk_own "$dk_a" "$dk_b"
      if dk_on "$dk_a"; then dk_moved=1; dk_pass "$dk_a"; fi ;;
    w) if dk_on "$dk_a"; then dk_pass "$dk_a"; else unset dk_k_$dk_a; fi ;;
    x) printf 'R %s exists %s\n' "$dk_tg" "$dk_b" ;;
    k) printf 'R %s %s\n' "$dk_tg" "$dk_a" ;;
    c) printf 'R %s ok\n' "$dk_tg" ;;
    e) printf 'R %s err %s\n' "$dk_tg" "$dk_a" ;;
    quit) break ;;
    *) printf 'R %s err unknown-request\n' "$dk_tg" ;;
    esac
    [ $dk_moved = 1 ] && dk_naps=0
    dk_arm
  done
  [ -z "$dk_tp" ] || kill "$dk_tp" 2>/dev/null
  exit 0
}
`;
