#!/usr/bin/env bash
# Writes src/BudgetRun.Cli/startup.order: the managed methods that budget-run's common commands
# execute, in that order, for ILC's explicit method layout (IlcOrderFile). Those methods then sit
# together in the binary instead of among the ~22,000 others, so a run maps fewer code pages
# (peak RSS of `budget-run -- true` 12.8 -> 10.2 MiB when it was introduced; see README,
# "Where start-up time and memory go").
#
# usage: eng/startup-order.sh [PUBLISH_DIR]   (default artifacts/aot, from
#        `dotnet publish src/BudgetRun.Cli -c Release -r linux-x64 -o artifacts/aot`)
# Needs valgrind (callgrind lists every function a run executes) and binutils' objcopy.
#
# The file is derived data, committed so that a build needs neither valgrind nor a first build.
# A stale name is harmless: ILC skips the names it does not know and places the methods no line
# names after the listed ones, in its usual order. Run it again after a change to the start-up path.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
publish="${1:-$repo/artifacts/aot}"
companion_dbg="$repo/src/BudgetRun.Cli/obj/Release/net10.0/linux-x64/companion/budget-run.dbg"
out="$repo/src/BudgetRun.Cli/startup.order"
for tool in valgrind callgrind_annotate objcopy; do
  command -v "$tool" >/dev/null || { echo "startup-order: $tool is missing (apt-get install valgrind binutils)" >&2; exit 2; }
done
for file in "$publish/budget-run" "$publish/budget-run.dbg" "$publish/budget-run-net" "$companion_dbg"; do
  [ -f "$file" ] || { echo "startup-order: $file is missing (publish first, see --help)" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# valgrind 3.19 cannot read the DWARF ILC writes: a copy of each binary gets a debug link to its
# symbol table alone.
symbolize() { # BINARY DBG NAME
  cp "$1" "$work/$3"
  objcopy --strip-debug "$2" "$work/$3.sym"
  objcopy --remove-section=.gnu_debuglink "$work/$3"
  objcopy --add-gnu-debuglink="$work/$3.sym" "$work/$3"
}
symbolize "$publish/budget-run" "$publish/budget-run.dbg" budget-run
symbolize "$publish/budget-run-net" "$companion_dbg" budget-run-net

export BUDGET_RUN_STATE_DIR="$work/state" # its own state directory: no reap of the caller's leftovers
unset BUDGET_RUN_LEDGER
n=0
profile() { # BINARY ARGS...: the functions it executes, most instructions first
  local binary="$1"
  shift
  n=$((n + 1))
  (cd "$work" && valgrind --tool=callgrind --callgrind-out-file="$work/cg.$n" "./$binary" "$@" >/dev/null 2>&1) || true
  callgrind_annotate --threshold=100 "$work/cg.$n" 2>/dev/null |
    sed -nE 's/^ *[0-9,]+ +\([^)]*\) +//p' | sed -E 's/^\?\?\?://; s/ \[.*\]$//; s/'"'"'[0-9]+$//'
}

{
  # The plain run first: it is what every job pays for.
  profile budget-run -- true
  profile budget-run --cgroup off -- true
  profile budget-run --version
  profile budget-run --max-attempts 3 --base-delay 1ms --max-delay 1ms -- false
  profile budget-run --ledger "sqlite:$work/ledger.db" --budget-key order --max-cost-cents 100 --cost-per-attempt-cents 1 -- true
  profile budget-run --report "$work/report.json" --retry-if-output x -- sh -c 'echo x >&2; exit 3'
  profile budget-run-net --listen 127.0.0.1:0 -- true
} |
  # Managed methods only (the native runtime's names have '::' or '(', libc's a source path); each
  # once, first place kept.
  grep -vE '::|\(|/|^PROGRAM TOTALS|^0x' | awk 'NF && !seen[$0]++' >"$out"
echo "startup-order: wrote $(wc -l <"$out") names to ${out#"$repo"/}"
