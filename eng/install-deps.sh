#!/usr/bin/env bash
# Installs the system packages the tests and benchmarks need, when they are missing.
# Idempotent; needs root (CI and the dev machines run as root) and Debian's apt.
set -euo pipefail
packages=(
  python3      # the terminal (pty) tests drive budget-run through python3's pty module
  procps       # pgrep/ps in process-tree tests
  util-linux   # setsid, unshare
  clang        # Native AOT: the tests run against the published AOT binary
  zlib1g-dev   # Native AOT links zlib
  libsqlite3-dev  # libsqlite3.a: SQLite is linked into the AOT binary
  prometheus               # prometheus and promtool: the shipped rules and the end-to-end scrape and alert tests
  prometheus-alertmanager  # prometheus-alertmanager and amtool: the alerting path to a webhook
  prometheus-pushgateway   # batch runs pushing their metrics
  redis-server  # the Redis ledger's tests start a real server on a loopback port
  redis-tools   # redis-cli: the cluster tests make a 3-node Redis Cluster with redis-cli --cluster create
  postgresql    # PostgreSQL 15 (Debian 12): the PostgreSQL ledger's tests initdb their own clusters on loopback ports
  faketime      # libfaketime: the skewed-clock tests run budget-run with its wall clock a day off
  e2fsprogs     # chattr: the read-only ledger test makes a file immutable (root ignores file modes)
  zsh fish      # the completion tests load `budget-run completion zsh|fish` in a real zsh and fish
  # linux-arm64: the Native AOT binary is cross-compiled (clang --target=aarch64-linux-gnu links it
  # against these) and its smoke tests run it under qemu-user
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu  # the native helper, and clang's aarch64 crt files and libgcc
  libsqlite3-dev:arm64 zlib1g-dev:arm64              # libsqlite3.a and libz for aarch64 (Debian multiarch)
  qemu-user-static                                   # qemu-aarch64-static
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  # The tests make their own clusters as an unprivileged user; the package's default cluster
  # (a server on port 5432 started at install) would only be in the way.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/budget-run.conf
  # The :arm64 packages need the architecture known to dpkg (multiarch), from the same mirror.
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
