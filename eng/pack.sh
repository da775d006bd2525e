#!/usr/bin/env bash
# Builds budget-run's NuGet packages into artifacts/nupkg (or the folder given as $1):
#   budget-run.VERSION.nupkg            the .NET tool's pointer package (what `dotnet tool install` asks for)
#   budget-run.linux-x64.VERSION.nupkg  the Native AOT binary it points to on linux-x64
#   budget-run.linux-arm64.VERSION.nupkg  the same for linux-arm64, cross-compiled (eng/install-deps.sh
#                                         installs the cross toolchain and Debian's :arm64 libraries)
#   budget-run.any.VERSION.nupkg        the framework-dependent fallback for every other RID
#   BudgetRun.Client.VERSION.nupkg      the client library (net8.0, net10.0)
# The zip entries carry the commit's time, not the clock's, so the same commit packs to the same
# bytes.
# Runs on linux-x64.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
out="$(realpath -m "${1:-$repo/artifacts/nupkg}")"
stamp="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
common=(-c Release -nologo -v quiet -o "$out" "-p:DeterministicTimestamp=$stamp")

mkdir -p "$out"
rm -f "$out"/budget-run.*nupkg "$out"/BudgetRun.Client.*nupkg
dotnet pack src/BudgetRun.Cli "${common[@]}"
dotnet pack src/BudgetRun.Cli -r linux-x64 "${common[@]}"
dotnet pack src/BudgetRun.Cli -r linux-arm64 "${common[@]}"
dotnet pack src/BudgetRun.Cli -r any -p:PublishAot=false "${common[@]}"
dotnet pack src/BudgetRun.Client "${common[@]}"
ls -l "$out"/budget-run.*nupkg "$out"/BudgetRun.Client.*nupkg
