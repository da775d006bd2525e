#!/usr/bin/env bash
# Benchmarks budget-run against baselines measured in the same run (this machine is shared and
# noisy: absolute times drift, ratios hold). Builds the Release Native AOT binary, measures, prints
#   figure | value | baseline (same run) | ratio | target | met?
# and writes bench/out/results.json and bench/out/results.md (raw measurements in bench/out/raw).
#
# usage: bench/run.sh [--quick] [--no-build]
#   full mode (default): exits 1 when a target is missed, 2 when a measurement could not run.
#   --quick: fewer runs and shorter loads, for CI; exits non-zero only when something crashed.
#   --no-build: reuse the binaries of the last run.
# BUDGET_RUN_EXE=PATH measures that binary instead of publishing one (CI reuses the tests' AOT build).
# BENCH_STEPS="overhead rss memory" runs only those steps (overhead rss throughput killswitch metrics
# reservations memory); the others' rows say "not selected" and fail nothing.
# BUDGET_RUN_SEED=PATH (default ../shared/seed/incident-budget-runner.mjs, when it exists) adds the
# Node seed runner as an extra baseline; without it every row still has its baselines: tini,
# dumb-init and a Native AOT program that only returns 0 (bench/HelloAot, built here).
# Needs root (or the tools installed) for apt-get: hyperfine, wrk, redis-server, redis-tools, time,
# tini, dumb-init, postgresql (server and pgbench), and nodejs when the seed is measured.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/bench/out"
raw="$out/raw"
mode=full
build=1
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

# Process timings run in rounds (each round times every command once more), so that a load swing
# on a shared machine falls on the baselines as much as on budget-run.
if [ "$mode" = full ]; then
  overhead_rounds=4 overhead_runs=50 overhead_warmup=5 rss_runs=7 pipe_rounds=10 pipe_runs=3 pipe_warmup=1 kill_runs=50
  wrk_rounds=5 wrk_seconds=2 redis_requests=200000 reserve_seconds=10 memory_attempts=10000 memory_baseline_runs=5
else
  overhead_rounds=2 overhead_runs=15 overhead_warmup=3 rss_runs=3 pipe_rounds=2 pipe_runs=2 pipe_warmup=1 kill_runs=10
  wrk_rounds=2 wrk_seconds=1 redis_requests=20000 reserve_seconds=2 memory_attempts=1000 memory_baseline_runs=3
fi

bin="${BUDGET_RUN_EXE:-$out/publish/budget-run}"               # Native AOT, what users run (CI passes its own)
fd_bin="$repo/src/BudgetRun.Cli/bin/Release/net10.0/budget-run" # framework-dependent, for information
bench_tool="$repo/bench/BudgetRun.Bench/bin/Release/net10.0/budget-run-bench"
hello="$out/hello/aot-hello"                                    # the runtime's own floor (bench/HelloAot)
seed="${BUDGET_RUN_SEED:-$repo/../shared/seed/incident-budget-runner.mjs}"
[ -f "$seed" ] || seed=""                                          # optional: a fresh clone has none
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "bench: $*" >&2; }

ensure_tools() {
  local -A package_of=(
    [hyperfine]=hyperfine [wrk]=wrk [redis-server]=redis-server [redis-benchmark]=redis-tools
    [redis-cli]=redis-tools [/usr/bin/time]=time [tini]=tini [dumb-init]=dumb-init [pgbench]=postgresql
  )
  [ -z "$seed" ] || package_of[node]=nodejs
  local missing=() tool
  for tool in "${!package_of[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
  done
  [ -n "$(postgres_bin)" ] || missing+=(postgresql) # initdb, pg_ctl and postgres live there, off PATH
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages ${missing[*]}: install them or run as root"
    return 1
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_all() {
  local build_log="$out/build.log"
  : >"$build_log"
  build() {
    log "$1"
    shift
    "$@" >>"$build_log" 2>&1 || { tail -n 20 "$build_log" >&2; log "build failed (log: ${build_log#"$repo"/})"; exit 2; }
  }
  if [ -z "${BUDGET_RUN_EXE:-}" ]; then
    build "publishing the Native AOT binary (dotnet publish -c Release -r linux-x64)" \
      dotnet publish "$repo/src/BudgetRun.Cli" -c Release -r linux-x64 -o "$out/publish" -nologo -v quiet
  fi
  if [ "$mode" = full ]; then
    build "building the framework-dependent binary" dotnet build "$repo/src/BudgetRun.Cli" -c Release -nologo -v quiet
  fi
  build "building the bench tool" dotnet build "$repo/bench/BudgetRun.Bench" -c Release -nologo -v quiet
  build "publishing the Native AOT hello world (the runtime's floor)" \
    dotnet publish "$repo/bench/HelloAot" -c Release -r linux-x64 -o "$out/hello" -nologo -v quiet
}

# run_step STEP FUNCTION: runs FUNCTION in a subshell that stops at its first failing command; a
# failure is recorded in errors.tsv (the report marks the step's rows "not measured") and the
# remaining steps still run. Output goes to raw/STEP.log.
run_step() {
  local step=$1 started=$SECONDS status
  shift
  if [ -n "${BENCH_STEPS:-}" ] && [[ " $BENCH_STEPS " != *" $step "* ]]; then
    printf '%s\t%s\n' "$step" "not selected (BENCH_STEPS=$BENCH_STEPS)" >>"$raw/skipped.tsv"
    return 0
  fi
  log "$step ..."
  set +e
  (set -e; "$@") >"$raw/$step.log" 2>&1
  status=$?
  set -e
  if [ $status -ne 0 ]; then
    tail -n 5 "$raw/$step.log" | sed "s/^/bench: $step: /" >&2
    printf '%s\t%s\n' "$step" "exit $status: $(tail -n 1 "$raw/$step.log" | tr '\t' ' ')" >>"$raw/errors.tsv"
  fi
  printf '%s\t%s\n' "$step" "$((SECONDS - started))" >>"$raw/seconds.tsv"
  log "$step took $((SECONDS - started)) s"
}

# wait_for_url LOG PID: the control plane's address from budget-run's "listening on" line.
wait_for_url() {
  local url
  for _ in $(seq 200); do
    url=$(grep -o 'listening on http://[^ ]*' "$1" | head -n 1 | cut -d' ' -f3) || true
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "budget-run exited before listening: $(tail -n 3 "$1")" >&2; return 1; }
    sleep 0.05
  done
  echo "budget-run did not report its address: $(tail -n 3 "$1")" >&2
  return 1
}

# free_port: a loopback port nothing listens on (for redis-server, which cannot take port 0).
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  return 1
}

# 1. Start-up and supervision overhead: wall time minus bare `true`, against tini, dumb-init and
# the AOT hello world (the .NET runtime's own start-up), and the seed runner when it is there.
# "budget-run (hosted)" is a push-only run, which builds the generic host a plain run does without:
# the difference is what the host costs (with the lean budget-run's hand-over to budget-run-net: the
# same run of budget-run-net itself measures that apart). `--version` starts budget-run without running anything.
# The framework-dependent build (JIT, for information) gets fewer runs: it is ~20 times slower.
measure_overhead() {
  local names=(-n true -n budget-run -n "budget-run --version" -n "budget-run (hosted)" -n tini -n dumb-init -n "aot hello")
  local commands=(true "'$bin' -- true" "'$bin' --version" "'$bin' --pushgateway http://127.0.0.1:9/ --push-interval 1h -- true"
    "tini -s -- true" "dumb-init true" "'$hello'")
  if [ -n "$seed" ]; then names+=(-n seed); commands+=("node '$seed' true"); fi
  local companion
  companion="$(dirname "$bin")/budget-run-net"
  if [ -x "$companion" ]; then
    names+=(-n "budget-run-net (hosted)")
    commands+=("'$companion' --pushgateway http://127.0.0.1:9/ --push-interval 1h -- true")
  fi
  for round in $(seq "$overhead_rounds"); do
    hyperfine -N --style basic --warmup "$overhead_warmup" --runs "$overhead_runs" \
      --export-json "$raw/overhead-$round.json" "${names[@]}" "${commands[@]}"
  done
  if [ "$mode" = full ]; then
    hyperfine -N --style basic --warmup 3 --runs 30 --export-json "$raw/overhead-fd.json" \
      -n "budget-run (framework-dependent)" "'$fd_bin' -- true"
  fi
}

# 2. Peak RSS (max resident set size from wait4, as /usr/bin/time -v reports it).
measure_rss() {
  peak_rss() {
    local name=$1
    shift
    /usr/bin/time -f %M -o "$raw/time.out" "$@" >/dev/null 2>&1
    printf '%s\t%s\n' "$name" "$(tail -n 1 "$raw/time.out")" >>"$raw/rss.tsv"
  }
  for _ in $(seq "$rss_runs"); do
    peak_rss budget-run "$bin" -- true
    peak_rss "budget-run --listen" "$bin" --listen 127.0.0.1:0 -- true
    peak_rss tini tini -s -- true
    peak_rss dumb-init dumb-init true
    peak_rss "aot hello" "$hello"
    [ -z "$seed" ] || peak_rss seed node "$seed" true
  done
}

# 3. 1 GiB through the child's stdout, with and without budget-run in front, and with budget-run in
# its path (an output predicate: budget-run tees and splices the child's stdout to its own), against
# the floor of any process in a pipe's path: the same pipe with one more `cat` in it.
measure_throughput() {
  for round in $(seq "$pipe_rounds"); do
    hyperfine --shell=bash --style basic --warmup "$pipe_warmup" --runs "$pipe_runs" \
      --export-json "$raw/throughput-$round.json" -n pipe -n "budget-run pipe" -n "budget-run tapped" -n "pipe with a cat hop" \
      "head -c 1G /dev/zero | cat >/dev/null" \
      "'$bin' -- head -c 1G /dev/zero | cat >/dev/null" \
      "'$bin' --match-stream stdout --retry-if-output x -- head -c 1G /dev/zero | cat >/dev/null" \
      "head -c 1G /dev/zero | cat | cat >/dev/null"
  done
}

# 4. Kill switch: POST /kill to the child's death, timed with pidfds by the bench tool.
measure_killswitch() {
  "$bench_tool" kill-switch --binary "$bin" --runs "$kill_runs" --out "$raw/killswitch.json"
}

# 5. GET /metrics under load, against GET /healthz, on one running budget-run: alternating rounds
# (10 s of load on each endpoint in full mode), so that another tenant's burst hits both.
measure_metrics() {
  "$bin" --listen 127.0.0.1:0 -- sleep 1000 2>"$raw/metrics-server.log" &
  local pid=$! url
  trap 'kill -TERM '"$pid"' 2>/dev/null || true' EXIT
  url=$(wait_for_url "$raw/metrics-server.log" "$pid")
  for round in $(seq "$wrk_rounds"); do
    wrk -t2 -c16 -d"${wrk_seconds}s" --latency "$url/metrics" >"$raw/wrk-metrics-$round.txt"
    wrk -t2 -c16 -d"${wrk_seconds}s" --latency "$url/healthz" >"$raw/wrk-healthz-$round.txt"
    cat "$raw/wrk-metrics-$round.txt" "$raw/wrk-healthz-$round.txt"
  done
  kill -TERM "$pid"
  wait "$pid" || [ $? -eq 143 ]
  trap - EXIT
}

# 6. Reservations/s and p50/p99 reserve latency of each ledger (SQLite, Redis, PostgreSQL), with
# 8 `budget-run serve` processes on one key of 1 level and of 3 levels (ROOT/team/bench-x, every
# level with a limit), against the same server's own baseline: redis-benchmark of the Reserve script
# itself (EVALSHA with the arguments budget-run sends, captured with MONITOR from a short run of
# the same binary, a fresh reservation id per call), and pgbench of the statements the PostgreSQL
# store runs for one reservation (pgbench_reserve). SQLite has no server, so no baseline.
measure_reservations() {
  local port redis_pid work pg_port="" pg_dir
  work=$(mktemp -d)
  pg_dir=$(mktemp -d)
  # shellcheck disable=SC2064 # the paths are fixed now; the pids are read when the trap runs
  trap "stop_servers '$work' '$pg_dir'" EXIT
  # A port free when probed can be taken before redis-server binds it (the tests' servers come and
  # go): try a few ports, and never point redis-benchmark at a server that is not up (it retries a
  # refused connection forever).
  local up=0
  for _ in $(seq 5); do
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$raw/redis-server.log" 2>&1 &
    redis_pid=$!
    echo "$redis_pid" >"$work/redis.pid"
    for _ in $(seq 100); do
      if redis-cli -p "$port" ping >/dev/null 2>&1; then up=1; break; fi
      kill -0 "$redis_pid" 2>/dev/null || break
      sleep 0.05
    done
    [ "$up" -eq 0 ] || break
    kill "$redis_pid" 2>/dev/null || true
  done
  [ "$up" -eq 1 ] || { echo "redis-server did not start: $(tail -n 1 "$raw/redis-server.log")"; return 1; }
  pg_port=$(start_postgres "$pg_dir") || printf 'reservations-postgres\t%s\n' "PostgreSQL did not start: $(tail -n 1 "$raw/postgres.log")" >>"$raw/errors.tsv"
  local help
  help=$("$bin" --help 2>/dev/null || true) # not piped into grep -q: with pipefail its early exit fails the pipe
  if ! { grep -q -- '--ledger' <<<"$help" && "$bin" serve --help >/dev/null 2>&1; }; then
    echo "budget-run has no --ledger/serve yet" >"$raw/reservations.skipped"
    return 0
  fi
  local levels kind ledger
  for levels in 1 3; do
    for kind in sqlite redis postgres; do
      case $kind in
        sqlite) ledger="sqlite:$work/ledger-$levels.db" ;;
        redis) ledger="redis://127.0.0.1:$port" ;;
        postgres) [ -n "$pg_port" ] || continue; ledger="postgres://bench@127.0.0.1:$pg_port/postgres" ;;
      esac
      # One ledger failing does not keep the others from being measured.
      "$bench_tool" reserve --binary "$bin" --ledger "$ledger" --processes 8 --seconds "$reserve_seconds" --levels "$levels" \
        --out "$raw/reservations-$kind-$levels.json" 2>"$raw/reservations-$kind-$levels.err" ||
        printf 'reservations-%s-%s\t%s\n' "$kind" "$levels" "$(tail -n 1 "$raw/reservations-$kind-$levels.err")" >>"$raw/errors.tsv"
    done
    redis_reserve_baseline "$port" "$levels" "$work" ||
      printf 'reservations-redis-%s-baseline\t%s\n' "$levels" "$(tail -n 1 "$work/baseline.err" 2>/dev/null)" >>"$raw/errors.tsv"
    if [ -n "$pg_port" ]; then
      pgbench_reserve "$pg_port" "$levels" "$work" ||
        printf 'reservations-postgres-%s-baseline\t%s\n' "$levels" "$(tail -n 1 "$work/baseline.err" 2>/dev/null)" >>"$raw/errors.tsv"
    fi
  done
}

stop_servers() {
  [ ! -f "$1/redis.pid" ] || kill "$(cat "$1/redis.pid")" 2>/dev/null || true
  [ ! -f "$2/data/postmaster.pid" ] || as_postgres "$(postgres_bin)/pg_ctl" stop -D "$2/data" -m immediate -w -t 10 >/dev/null 2>&1 || true
  rm -rf "$1" "$2"
}

postgres_bin() { find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1; }

# as_postgres COMMAND...: PostgreSQL refuses to run as root, so as root the server runs as a system
# user of its own (the tests' budget-run-pg).
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=budget-run-pg --regid=budget-run-pg --init-groups -- env LC_ALL=C "$@"
  else
    env LC_ALL=C "$@"
  fi
}

# start_postgres DIR: a fresh cluster in DIR (trust authentication on loopback, fsync off as in the
# tests: the commits stay in the OS cache); prints its port.
start_postgres() {
  local dir=$1 bindir port
  bindir=$(postgres_bin)
  [ -x "$bindir/initdb" ] || { echo "no PostgreSQL server under /usr/lib/postgresql" >"$raw/postgres.log"; return 1; }
  if [ "$(id -u)" -eq 0 ]; then
    id -u budget-run-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin budget-run-pg || [ $? -eq 9 ]
    chown budget-run-pg:budget-run-pg "$dir"
  fi
  as_postgres "$bindir/initdb" -D "$dir/data" -U bench --auth=trust --no-locale --encoding=UTF8 --no-sync >"$raw/postgres.log" 2>&1 || return 1
  for _ in $(seq 5); do
    port=$(free_port)
    if as_postgres "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" >>"$raw/postgres.log" 2>&1; then
      echo "$port"
      return 0
    fi
    as_postgres "$bindir/pg_ctl" stop -D "$dir/data" -m immediate -w -t 10 >/dev/null 2>&1 || true
  done
  cat "$dir/server.log" >>"$raw/postgres.log" 2>/dev/null || true
  return 1
}

# level_keys LEVELS ROOT: the key's levels, root first (ROOT, or ROOT ROOT/team ROOT/team/bench-x).
level_keys() {
  if [ "$1" -eq 1 ]; then echo "$2"; else echo "$2" "$2/team" "$2/team/bench-x"; fi
}

# redis_reserve_baseline PORT LEVELS WORK: the Reserve script as budget-run calls it, without
# budget-run. A one-process run of the same binary is watched with MONITOR; its last Reserve call
# (EVALSHA whose first key is a reservation, `:r:ID`) is replayed by redis-benchmark with the
# reservation id made fresh per call (__rand_int__), so each call reserves as a new reservation
# would. The script's keys and arguments are whatever this binary sends: nothing is copied here.
redis_reserve_baseline() {
  local port=$1 levels=$2 work=$3 monitor line nk id
  redis-cli -p "$port" monitor >"$work/monitor.txt" 2>"$work/baseline.err" &
  monitor=$!
  "$bench_tool" reserve --binary "$bin" --ledger "redis://127.0.0.1:$port" --processes 1 --seconds 1 --levels "$levels" \
    --out "$work/capture.json" 2>>"$work/baseline.err" || { kill "$monitor"; return 1; }
  kill "$monitor"
  wait "$monitor" 2>/dev/null || true
  line=$(grep -F '"EVALSHA"' "$work/monitor.txt" | grep -F ':r:' | tail -n 1) || true
  [ -n "$line" ] || { echo "MONITOR saw no EVALSHA of the Reserve script" >>"$work/baseline.err"; return 1; }
  # MONITOR quotes each argument as a C string ("..."); bash reads it back into words.
  local -a call
  eval "call=(${line#*] })"
  nk=${call[2]}
  id=${call[$((3 + nk + 1))]} # ARGV[2]: the reservation id, also in KEYS[1]
  call=("${call[@]//"$id"/b__rand_int__}")
  redis-benchmark -h 127.0.0.1 -p "$port" -n "$redis_requests" -c 8 -r 1000000000 --csv "${call[@]}" \
    >"$raw/redis-reserve-$levels.csv" 2>>"$work/baseline.err"
  cat "$raw/redis-reserve-$levels.csv"
}

# pgbench_reserve PORT LEVELS WORK: the statements of PostgresStore.ReserveAsync for one reservation
# (src/BudgetRun.Ledgers/Postgres/PostgresSql.cs) in its five round trips, each batch one pgbench
# command (statements joined by \;): the tree lock; every level's terms with the replay check and
# the server's clock; every level's overdue check and bucket; every write (the reservation, each
# level's hold, levels row and history entry, the history trim, the retention); the commit. On
# accounts of the same depth made by `budget-run budget set`, 8 clients; latencies in pgbench's log.
pgbench_reserve() {
  local port=$1 levels=$2 work=$3 root="pgbench-$2" key now script="$work/reserve-$2.sql" ledger
  ledger="postgres://bench@127.0.0.1:$port/postgres"
  local -a keys
  read -r -a keys <<<"$(level_keys "$levels" "$root")"
  for key in "${keys[@]}"; do
    "$bin" budget set --budget-key "$key" --max-cost-cents 1000000000000 --ledger "$ledger" >/dev/null 2>>"$work/baseline.err"
  done
  local leaf=${keys[-1]}
  now=$(date +%s%3N)
  batch() { local IFS=$'\n'; sed '$!s/;$/ \\;/' <<<"$*"; } # one command of several statements: one round trip
  local -a read=() check=() write=()
  for key in "${keys[@]}"; do
    read+=("SELECT limit_cents, terms_version, killed, kill_reason, killed_at FROM budget_run.accounts WHERE key = '$key';")
    check+=("SELECT EXISTS (SELECT 1 FROM budget_run.reservation_levels l JOIN budget_run.reservations r ON r.id = l.id WHERE l.level = '$key' AND r.state = 0 AND r.expires_at <= $now);")
  done
  read+=("SELECT EXISTS (SELECT 1 FROM budget_run.reservations WHERE id = 'pgb' || :n), floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;")
  for key in "${keys[@]}"; do
    check+=("SELECT spent_cents, reserved_cents FROM budget_run.buckets WHERE key = '$key' AND bucket = 'all';")
  done
  write+=("INSERT INTO budget_run.reservations (id, key, bucket, cents, state, created_at, expires_at, run_id, pid, host) VALUES ('pgb' || :n, '$leaf', 'all', 1, 0, $now, $((now + 900000)), 'pgbench', 1, 'bench');")
  for key in "${keys[@]}"; do
    write+=("INSERT INTO budget_run.buckets AS b (key, bucket, spent_cents, reserved_cents) VALUES ('$key', 'all', 0, 1) ON CONFLICT (key, bucket) DO UPDATE SET reserved_cents = b.reserved_cents + excluded.reserved_cents;")
    write+=("INSERT INTO budget_run.reservation_levels (id, level, bucket) VALUES ('pgb' || :n, '$key', 'all');")
    write+=("INSERT INTO budget_run.history (at, key, kind, bucket, spent_delta, reserved_delta, reservation, origin, run_id, host, pid, user_name, detail) VALUES ($now, '$key', 0, 'all', 0, 1, 'pgb' || :n, NULL, 'pgbench', 'bench', 1, NULL, NULL);")
  done
  write+=("DELETE FROM budget_run.history WHERE seq IN (SELECT seq FROM budget_run.history WHERE at < $((now - 7776000000)) ORDER BY at LIMIT 100);")
  write+=("DELETE FROM budget_run.reservation_levels WHERE id IN (SELECT id FROM budget_run.reservations WHERE key = '$leaf' AND state IN (1, 2, 3) AND expires_at < $((now - 604800000)));")
  write+=("DELETE FROM budget_run.reservations WHERE key = '$leaf' AND state IN (1, 2, 3) AND expires_at < $((now - 604800000));")
  {
    echo '\set n random(1, 999999999999)'
    echo 'BEGIN;'
    echo "SELECT pg_advisory_xact_lock(1649541121, hashtext('$root'));" # PostgresSql.TreeLockClass, 0x62520001
    batch "${read[@]}"
    batch "${check[@]}"
    batch "${write[@]}"
    echo 'COMMIT;'
  } >"$script"
  cp "$script" "$raw/pgbench-reserve-$levels.sql"
  (cd "$work" && pgbench -n -h 127.0.0.1 -p "$port" -U bench -c 8 -j 2 -T "$reserve_seconds" -f "$script" \
    -l --log-prefix="$raw/pgbench-$levels" postgres) >"$raw/pgbench-$levels.txt" 2>>"$work/baseline.err"
  cat "$raw/pgbench-$levels.txt"
}

# 7. Peak RSS after many attempts of a failing child, against a few attempts (repeated to define noise).
measure_memory() {
  peak_rss_after() {
    local status=0
    /usr/bin/time -f %M -o "$raw/time.out" "$bin" --max-attempts "$1" --base-delay 1ms --max-delay 1ms \
      --max-cost-cents 0 -- false >/dev/null 2>&1 || status=$?
    [ "$status" -eq 1 ] || { echo "budget-run --max-attempts $1 -- false exited $status, expected 1"; return 1; }
    printf '%s\t%s\n' "$1" "$(tail -n 1 "$raw/time.out")" >>"$raw/memory.tsv"
  }
  for _ in $(seq "$memory_baseline_runs"); do peak_rss_after 10; done
  [ "$mode" = quick ] || peak_rss_after 1000 # a plateau or a leak: see the report's note
  peak_rss_after "$memory_attempts"
}

ensure_tools
rm -rf "$raw"
mkdir -p "$raw"
if [ $build -eq 1 ]; then
  build_started=$SECONDS
  build_all
  log "build took $((SECONDS - build_started)) s"
fi
for needed in "$bin" "$bench_tool" "$hello"; do
  [ -x "$needed" ] || { log "$needed is missing (run without --no-build)"; exit 2; }
done

measured=$SECONDS
context="commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git -C "$repo" status --porcelain 2>/dev/null)" ] || context+=" with uncommitted changes"
context+=", $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(date -u +%Y-%m-%dT%H:%MZ)"

run_step overhead measure_overhead
run_step rss measure_rss
run_step throughput measure_throughput
run_step killswitch measure_killswitch
run_step metrics measure_metrics
run_step reservations measure_reservations
run_step memory measure_memory

context+="; measured in $((SECONDS - measured)) s"
status=0
"$bench_tool" report --raw "$raw" --out "$out" --mode "$mode" --context "$context" || status=$?
log "$mode mode took $SECONDS s in all ($((SECONDS - measured)) s measuring); results in ${out#"$repo"/}/results.md"
exit $status
