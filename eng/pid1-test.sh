#!/usr/bin/env bash
# budget-run as PID 1 of a new PID namespace, as in a container without an init: the child's exit
# code comes out, SIGTERM stops the child and exits 143, and orphans are reaped (no zombie).
#
#   eng/pid1-test.sh [path/to/budget-run]     # default: the Debug build; needs root (unshare)
#
# Exits non-zero when a check fails; the last line is "pid1-test: N passed, N failed". Every wait
# is bounded, and every process the script starts is killed on exit.
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
exe="${1:-$repo/src/BudgetRun.Cli/bin/Debug/net10.0/budget-run}"
if [ ! -x "$exe" ] && [ $# -eq 0 ]; then
  echo "pid1-test: $exe missing: building the solution" >&2
  (cd "$repo" && dotnet build Supervisor.sln -nologo -v quiet) >&2 || exit 1
fi
[ -x "$exe" ] || { echo "pid1-test: $exe is not an executable" >&2; exit 1; }
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"
[ "$(id -u)" -eq 0 ] || { echo "pid1-test: needs root (unshare --pid)" >&2; exit 1; }

work=$(mktemp -d)
started=()
cleanup() {
  local pid
  for pid in "${started[@]}"; do
    kill -KILL "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }

# The first child of PID $1 (budget-run is unshare's only child), waiting up to 10s for it.
child_of() {
  local deadline=$((SECONDS + 10)) child
  while [ $SECONDS -lt $deadline ]; do
    child=$(cat /proc/"$1"/task/*/children 2>/dev/null | awk '{ print $1; exit }')
    [ -n "$child" ] && { echo "$child"; return 0; }
    sleep 0.05
  done
  return 1
}

# "nspid state" of every process in the PID namespace of host PID $1, read from the host's /proc.
namespace_processes() {
  local ns proc
  ns=$(readlink /proc/"$1"/ns/pid) || return 1
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/ns/pid" 2>/dev/null)" = "$ns" ] || continue
    awk '/^State:/ { state = $2 } /^NSpid:/ { nspid = $NF } END { if (nspid != "") print nspid, state }' "$proc/status" 2>/dev/null
  done
}

# Waits up to $1 seconds for "$2" (a command) to succeed.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $deadline ]; do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

run_pid1() {
  timeout 60 unshare --pid --fork --mount-proc --kill-child "$exe" "$@"
}

# 1. budget-run is PID 1 and its child's exit code comes out after the retries.
out=$(run_pid1 --max-attempts 1 -- sh -c 'echo "$PPID"' 2>"$work/1.err")
if [ "$out" = 1 ]; then pass "budget-run runs as PID 1 (its child's parent is 1)"; else fail "child's parent is '$out', not 1: $(tail -3 "$work/1.err")"; fi

run_pid1 --max-attempts 2 --base-delay 50ms -- sh -c 'echo attempt >> "$0"; exit 3' "$work/attempts" 2>"$work/2.err"
rc=$?
attempts=$(wc -l <"$work/attempts" 2>/dev/null || echo 0)
if [ "$rc" -eq 3 ] && [ "$attempts" -eq 2 ]; then pass "exit code 3 propagates after 2 attempts"; else fail "exit $rc after $attempts attempt(s), expected 3 after 2: $(tail -3 "$work/2.err")"; fi

run_pid1 --max-attempts 1 -- sh -c 'kill -USR1 $$' 2>"$work/3.err"
rc=$?
if [ "$rc" -eq 138 ]; then pass "a child killed by SIGUSR1 gives 128+10 = 138"; else fail "child killed by SIGUSR1: exit $rc, expected 138"; fi

# 2. SIGTERM to budget-run (PID 1 inside, found from outside as unshare's child): the child gets
#    SIGTERM (it records it), and budget-run exits 143 well before the kill grace.
unshare --pid --fork --mount-proc --kill-child "$exe" --max-attempts 3 --kill-grace 20s \
  -- sh -c 'trap "echo TERM > \"$0\"; exit 143" TERM; echo started > "$0"; while :; do sleep 0.1; done' "$work/term" \
  2>"$work/4.err" &
unshare_pid=$!
started+=("$unshare_pid")
if budget_run=$(child_of "$unshare_pid") && wait_for 10 grep -qs started "$work/term"; then
  t0=$(date +%s%N)
  kill -TERM "$budget_run"
  deadline=$((SECONDS + 15))
  while kill -0 "$unshare_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  if kill -0 "$unshare_pid" 2>/dev/null; then
    fail "budget-run did not exit within 15s of SIGTERM"
  else
    wait "$unshare_pid"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    if [ "$rc" -eq 143 ] && grep -q TERM "$work/term"; then
      pass "SIGTERM to PID 1: the child got SIGTERM, exit 143 after ${ms}ms"
    else
      fail "SIGTERM to PID 1: exit $rc (expected 143), child saw: $(cat "$work/term"): $(tail -3 "$work/4.err")"
    fi
  fi
else
  fail "budget-run or its child did not start: $(tail -3 "$work/4.err")"
fi

# 3. Orphans are reaped: the attempt leaves a backgrounded grandchild and a setsid one behind and
#    exits 1; while budget-run waits in a 60s backoff, its namespace holds PID 1 alone: the orphans
#    are gone and none is a zombie.
unshare --pid --fork --mount-proc --kill-child "$exe" --max-attempts 2 --base-delay 60s --max-delay 60s --kill-grace 2s \
  -- sh -c 'sleep 100 & echo $! > "$0"; setsid sleep 100 & echo $! >> "$0"; exit 1' "$work/orphans" \
  2>"$work/5.err" &
unshare_pid=$!
started+=("$unshare_pid")
only_pid1() {
  local processes
  processes=$(namespace_processes "$budget_run")
  [ -n "$processes" ] && [ "$(awk '{ print $1 }' <<<"$processes" | tr '\n' ' ')" = "1 " ]
}
if budget_run=$(child_of "$unshare_pid") && wait_for 10 test -s "$work/orphans"; then
  orphans=$(tr '\n' ' ' <"$work/orphans")
  if wait_for 10 only_pid1; then
    pass "orphans (namespace pids ${orphans% }) reaped: PID 1 alone in the namespace during the backoff"
  else
    fail "orphans not reaped: namespace holds (pid state) $(namespace_processes "$budget_run" | tr '\n' ';')"
  fi
  # And it still answers SIGTERM in the backoff wait.
  kill -TERM "$budget_run"
  deadline=$((SECONDS + 10))
  while kill -0 "$unshare_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  wait "$unshare_pid" 2>/dev/null
  rc=$?
  if [ "$rc" -eq 143 ]; then pass "SIGTERM during the backoff: exit 143"; else fail "SIGTERM during the backoff: exit $rc, expected 143"; fi
else
  fail "the orphan scenario did not reach its backoff: $(tail -3 "$work/5.err")"
fi

echo "pid1-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
