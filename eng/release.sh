#!/usr/bin/env bash
# Writes the release archives of budget-run into artifacts/release (or the folder given as $1):
#   budget-run-VERSION-linux-x64.tar.gz   the Native AOT binary, README.md and LICENSE, in budget-run-VERSION/
#   SHA256SUMS                            sha256sum's format: `sha256sum -c SHA256SUMS` checks them
# From a tag (git checkout v0.1.0) it makes the same bytes each time: the entries carry the commit's
# time, sorted names, owner 0:0 and no atime/ctime, and gzip stores no name or time. The binary is
# compiled for the machine that runs this (linux-x64); linux-arm64 is not built yet (see README).
# BUDGET_RUN_EXE=path/to/budget-run packs that build instead of publishing one (the tests do).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
out="$(realpath -m "${1:-$repo/artifacts/release}")"
stamp="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
version="$(dotnet msbuild src/BudgetRun.Cli -getProperty:Version -nologo)"
rid=linux-x64

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
binary="${BUDGET_RUN_EXE:-}"
if [ -z "$binary" ]; then
  dotnet publish src/BudgetRun.Cli -c Release -r "$rid" -o "$work/publish" -nologo -v quiet
  binary="$work/publish/budget-run"
fi
name="budget-run-$version"
mkdir -p "$work/$name" "$out"
install -m 0755 "$binary" "$work/$name/budget-run"
install -m 0644 README.md LICENSE "$work/$name/"
touch -d "@$stamp" "$work/$name" "$work/$name"/*

archive="budget-run-$version-$rid.tar.gz"
tar -C "$work" --sort=name --mtime="@$stamp" --owner=0 --group=0 --numeric-owner \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - "$name" | gzip -9n > "$out/$archive"
(cd "$out" && sha256sum "$archive" > SHA256SUMS)
echo "release: $out/$archive"
cat "$out/SHA256SUMS"
