#!/usr/bin/env bash
# The queue worker beside its budget sidecar, all on this machine: a redis-server, `budget-run
# serve` on the shared account demo/queue-worker (300 cents) in it, 30 jobs on the Redis list
# `jobs`, and the worker. The fake paid API fails half the time, and every attempt of the worker's
# Polly retry is reserved with the sidecar first (AddBudget): the account, not the retry cap, stops
# the storm. The worker puts the refused job back and exits 75; the script then shows the account
# (`budget-run status`) and the jobs left. Needs redis-server and redis-cli (eng/install-deps.sh).
#   BUDGET_RUN_EXE=path  use that budget-run (and the worker's existing build) instead of building
#   CONFIGURATION        the build to use (default Release)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
config="${CONFIGURATION:-Release}"
if [ -z "${BUDGET_RUN_EXE:-}" ]; then
  dotnet build Supervisor.sln -c "$config" -v quiet -nologo
  BUDGET_RUN_EXE="src/BudgetRun.Cli/bin/$config/net10.0/budget-run"
fi
worker="examples/QueueWorker/bin/$config/net10.0/queue-worker.dll"
[ -f "$worker" ] || dotnet build examples/QueueWorker -c "$config" -v quiet -nologo

work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done

ledger="redis://127.0.0.1:$redis_port/0"
key=demo/queue-worker
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
chmod 600 "$work/token"
sidecar_port="$(free_port)"
"$BUDGET_RUN_EXE" serve --listen "127.0.0.1:$sidecar_port" --ledger "$ledger" --budget-key "$key" \
  --max-cost-cents 300 --control-token-file "$work/token" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$sidecar_port/healthz" >/dev/null 2>&1 && break; sleep 0.05; done

for i in $(seq 1 30); do redis-cli -p "$redis_port" lpush jobs "job-$i" >/dev/null; done
echo "queue-worker: 30 jobs queued; the account $key has 300 cents; each call reserves 40, the most it may cost"

status=0
REDIS_URL="127.0.0.1:$redis_port" BUDGET_SIDECAR_URL="http://127.0.0.1:$sidecar_port" BUDGET_SIDECAR_TOKEN_FILE="$work/token" \
  FAKE_API_FAILURE_RATE="${FAKE_API_FAILURE_RATE:-0.5}" dotnet "$worker" || status=$?

echo "queue-worker: exited $status; $(redis-cli -p "$redis_port" llen jobs) jobs left on the queue"
"$BUDGET_RUN_EXE" status --ledger "$ledger" --budget-key "$key"
exit "$status"
