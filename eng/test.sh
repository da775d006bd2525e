#!/usr/bin/env bash
# Runs every test of the repository: installs what the tests need, builds, runs `dotnet test` on
# the solution, and prints the real totals as the last line: "N passed, N failed".
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

bash eng/install-deps.sh || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet build Supervisor.sln -c Debug -nologo -v quiet || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# The code style (.editorconfig) is a check like any test: one failure if anything would be reformatted.
format_failed=0
if ! dotnet format Supervisor.sln --verify-no-changes -v quiet; then
  echo "format check failed: run 'dotnet format Supervisor.sln' and commit the result"
  format_failed=1
fi

# What ships is the Native AOT binary, so that is what the integration tests run (set
# BUDGET_RUN_EXE yourself to test another build, e.g. the framework-dependent Debug one).
if [ -z "${BUDGET_RUN_EXE:-}" ]; then
  # The tool packages first (ToolPackageTests install them): packing for linux-x64 compiles the
  # Native AOT binary, and the publish after it reuses that compilation.
  bash eng/pack.sh || { echo "packing failed"; echo "0 passed, 1 failed"; exit 1; }
  dotnet publish src/BudgetRun.Cli -c Release -r linux-x64 -o artifacts/aot -nologo -v quiet \
    || { echo "AOT publish failed"; echo "0 passed, 1 failed"; exit 1; }
  export BUDGET_RUN_EXE="$repo/artifacts/aot/budget-run"
fi
# linux-arm64, cross-compiled: its smoke tests run it under qemu-aarch64-static (Arm64Tests).
if [ -z "${BUDGET_RUN_ARM64_EXE:-}" ]; then
  dotnet publish src/BudgetRun.Cli -c Release -r linux-arm64 -o artifacts/aot-arm64 -nologo -v quiet \
    || { echo "linux-arm64 AOT publish failed"; echo "0 passed, 1 failed"; exit 1; }
  export BUDGET_RUN_ARM64_EXE="$repo/artifacts/aot-arm64/budget-run"
fi
echo "testing $BUDGET_RUN_EXE: $("$BUDGET_RUN_EXE" --version)"

log="$(mktemp)"
dotnet test Supervisor.sln -c Debug --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One summary line per test assembly, e.g. "Passed!  - Failed: 0, Passed: 42, Skipped: 0, Total: 42".
read -r passed failed < <(awk '
  /^(Passed|Failed)! +- Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") { gsub(",", "", $(i+1)); f += $(i+1) }
      if ($i == "Passed:") { gsub(",", "", $(i+1)); p += $(i+1) }
    }
  }
  END { print p + 0, f + 0 }' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the runner failed without a failing test (crash, build error): never report green
fi
if [ "$format_failed" -ne 0 ]; then
  failed=$((failed + 1))
  status=1
fi
echo "${passed} passed, ${failed} failed"
exit "$status"
