#!/usr/bin/env bash
# tests/helpers/ci-teardown.sh - removes whatever the netns test hosts (tests/helpers/netns-host.ts) left behind.
#
# Contract
#   Usage:   tests/helpers/ci-teardown.sh [-q] [-n LINES]
#            -q        do not print logs
#            -n LINES  lines of each log to print (default 200)
#   When:    after the test run, e.g. in .ci/run:  trap 'tests/helpers/ci-teardown.sh' EXIT
#            Never while tests that use the harness are still running: it removes their hosts too.
#   Scope:   only the harness's own things, all named with the prefix "dkhns":
#              network namespaces dkhns-<n> and host-side veths dkhns<n>h,
#              cgroups dkhns-<n> in every cgroup hierarchy,
#              processes in those cgroups or namespaces, or whose command line names /tmp/dkhns-*
#                (keeper, sshd, dockerd, containerd, shims, containers, SSH sessions),
#              mounts and dirs under /tmp/dkhns-* (host dirs and image build contexts).
#            Nothing else on the machine is touched (hosts mount only inside their own mount namespace).
#   Logs:    prints (stdout) the keeper/sshd/dockerd logs of every host that was not stopped, before removing it,
#            and, when DKHNS_LOG_DIR is set, the logs stopped hosts saved there (left in place).
#   Exit:    0 when nothing of the harness is left afterwards (also when there was nothing to do);
#            1 when something could not be removed (listed on stderr); 2 on bad usage.
#            In an EXIT trap this does not change the exit status of .ci/run.
#   Needs:   root, bash, iproute2, util-linux, coreutils. Idempotent.
set -u
PREFIX=dkhns
TMPD=/tmp
quiet=0
lines=200
while getopts 'qn:' opt; do
  case $opt in
    q) quiet=1 ;;
    n) lines=$OPTARG ;;
    *) echo "usage: $0 [-q] [-n LINES]" >&2; exit 2 ;;
  esac
done
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
shopt -s nullglob

print_log() { # file label
  [ "$quiet" = 1 ] && return
  [ -s "$1" ] || return
  echo "==== $2 (last $lines lines) ===="
  tail -n "$lines" "$1"
}

cgroup_mounts() {
  awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5; break } }' \
    /proc/self/mountinfo
}
harness_cgroups() { for m in $(cgroup_mounts); do for d in "$m/$PREFIX"-*; do [ -d "$d" ] && echo "$d"; done; done; }
harness_netns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-[0-9]+$"; }
harness_veths() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^$PREFIX[0-9]+h$"; }
harness_mounts() { awk '{print $5}' /proc/self/mountinfo | grep -E "^$TMPD/$PREFIX-" | sort -r; }

harness_pids() {
  local d p args
  for d in $(harness_cgroups); do find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null; done
  for d in $(harness_netns); do ip netns pids "$d" 2>/dev/null; done
  for p in /proc/[0-9]*; do
    args=()
    mapfile -d '' args 2>/dev/null < "$p/cmdline" || continue
    case " ${args[*]:-} " in *"$TMPD/$PREFIX-"*) echo "${p#/proc/}" ;; esac
  done
}

# 1. Logs of hosts that were never stopped (their dirs still exist), and of stopped ones that saved them.
for d in "$TMPD/$PREFIX"-*/; do
  for f in keeper sshd dockerd; do print_log "$d$f.log" "${d%/}/$f.log (host not stopped)"; done
done
if [ -n "${DKHNS_LOG_DIR:-}" ] && [ -d "$DKHNS_LOG_DIR" ]; then
  for f in "$DKHNS_LOG_DIR/$PREFIX"-*.log; do print_log "$f" "$f"; done
fi

# 2. Kill every harness process (SIGKILL, repeated until none is left: dockerd restarts nothing once it is gone).
for _ in $(seq 1 50); do
  pids=$(harness_pids | grep -vx -e "$$" -e "$PPID" | sort -un)
  [ -z "$pids" ] && break
  echo "ci-teardown: killing leftover harness processes: $(echo $pids)"
  kill -9 $pids 2>/dev/null
  sleep 0.1
done

# 3. Cgroups (deepest first; rmdir fails while exited processes are still being reaped, so retry).
for d in $(harness_cgroups); do
  for _ in $(seq 1 20); do
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$d" ] || break
    sleep 0.1
  done
done

# 4. Mounts in this namespace under the harness dirs (normally none), then namespaces and veths.
for m in $(harness_mounts); do umount -l "$m" 2>/dev/null; done
for ns in $(harness_netns); do echo "ci-teardown: deleting netns $ns"; ip netns del "$ns"; done
for _ in $(seq 1 50); do [ -z "$(harness_veths)" ] && break; sleep 0.1; done
for v in $(harness_veths); do ip link del "$v" 2>/dev/null; done

# 5. Dirs.
for d in "$TMPD/$PREFIX"-*; do echo "ci-teardown: removing $d"; rm -rf "$d"; done

# 6. Verify.
left=$( { harness_netns; harness_veths; harness_cgroups; harness_mounts; harness_pids | grep -vx -e "$$" -e "$PPID"
  for d in "$TMPD/$PREFIX"-*; do echo "$d"; done; } )
if [ -n "$left" ]; then
  echo "ci-teardown: could not remove:" >&2
  echo "$left" >&2
  exit 1
fi
exit 0
