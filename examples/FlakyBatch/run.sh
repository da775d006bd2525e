#!/usr/bin/env bash
# Builds budget-run and the flaky example job, then wraps the job: it fails twice (exit 1) and
# succeeds on the third attempt. 75 cents are spent at 25 cents an attempt, and the third attempt
# reports the 15 cents its three records cost (BudgetRun.Client's BudgetRunChild, through the control
# plane on a loopback port of the system's choosing): 90 of the 200-cent budget.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
dotnet build Supervisor.sln -c Release -v quiet -nologo
state="$(mktemp -u)"
FLAKY_STATE="$state" exec src/BudgetRun.Cli/bin/Release/net10.0/budget-run \
  --max-attempts 5 --max-cost-cents 200 --cost-per-attempt-cents 25 --base-delay 500ms --listen 127.0.0.1:0 \
  -- dotnet examples/FlakyBatch/bin/Release/net10.0/flaky-batch.dll
