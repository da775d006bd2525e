#!/usr/bin/env bash
# Writes the release archives of budget-run into artifacts/release (or the folder given as $1):
#   budget-run-VERSION-linux-x64.tar.gz     the Native AOT binaries (budget-run and budget-run-net,
#                                           README "Two binaries"), README.md and LICENSE, in budget-run-VERSION/
#   budget-run-VERSION-linux-arm64.tar.gz   the same for aarch64, cross-compiled (eng/install-deps.sh
#                                           installs the cross toolchain and Debian's :arm64 libraries)
#   SHA256SUMS                              sha256sum's format: `sha256sum -c SHA256SUMS` checks them
# From a tag (git checkout v0.1.0) it makes the same bytes each time: the entries carry the commit's
# time, sorted names, owner 0:0 and no atime/ctime, and gzip stores no name or time.
# RIDS="linux-x64" makes only those archives. BUDGET_RUN_EXE=path/to/budget-run (linux-x64) and
# BUDGET_RUN_ARM64_EXE=... (linux-arm64) pack those builds instead of publishing them (the tests do).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
out="$(realpath -m "${1:-$repo/artifacts/release}")"
stamp="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
version="$(dotnet msbuild src/BudgetRun.Cli -getProperty:Version -nologo)"
rids="${RIDS:-linux-x64 linux-arm64}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
name="budget-run-$version"
mkdir -p "$out"
archives=()
for rid in $rids; do
  case "$rid" in
    linux-x64) binary="${BUDGET_RUN_EXE:-}" ;;
    linux-arm64) binary="${BUDGET_RUN_ARM64_EXE:-}" ;;
    *) echo "release: unknown RID $rid (linux-x64, linux-arm64)" >&2; exit 2 ;;
  esac
  if [ -z "$binary" ]; then
    dotnet publish src/BudgetRun.Cli -c Release -r "$rid" -o "$work/publish-$rid" -nologo -v quiet
    binary="$work/publish-$rid/budget-run"
  fi
  rm -rf "${work:?}/$name"
  mkdir -p "$work/$name"
  companion="$(dirname "$binary")/budget-run-net"
  [ -x "$companion" ] || { echo "release: $companion is missing: the publish makes it beside budget-run" >&2; exit 1; }
  install -m 0755 "$binary" "$work/$name/budget-run"
  install -m 0755 "$companion" "$work/$name/budget-run-net"
  install -m 0644 README.md LICENSE "$work/$name/"
  touch -d "@$stamp" "$work/$name" "$work/$name"/*

  archive="budget-run-$version-$rid.tar.gz"
  tar -C "$work" --sort=name --mtime="@$stamp" --owner=0 --group=0 --numeric-owner \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - "$name" | gzip -9n > "$out/$archive"
  archives+=("$archive")
  echo "release: $out/$archive"
done
(cd "$out" && sha256sum "${archives[@]}" > SHA256SUMS)
cat "$out/SHA256SUMS"
