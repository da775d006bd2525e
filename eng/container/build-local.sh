#!/usr/bin/env bash
# Builds the budget-run image from the repository's Dockerfile WITHOUT pulling any image, then
# runs it and checks what a user relies on. For machines that reach Debian's packages and NuGet
# but no container registry (CI and the dev machines here).
#
#   eng/container/build-local.sh            # as root; prints a timing table at the end
#   eng/container/build-local.sh --arm64    # also the linux/arm64 image (ARM64=1 does the same)
#
# What it does:
#   1. a Debian base made with debootstrap (cached as a tarball under $BASE_CACHE), podman import;
#   2. a stand-in SDK image: that base + the host's .NET installation (eng/container/sdk-local.Containerfile);
#   3. stand-ins for the chiseled runtime-deps image: only libc, libgcc, libstdc++, zlib, OpenSSL,
#      CA certificates and an "app" user 1654, without a shell; and the same libraries on the Debian
#      base, with a shell (eng/container/runtime-deps-local.Containerfile);
#   4. `podman build --isolation=chroot` of the real Dockerfile twice, with the base images as
#      build arguments: on the base with sh (so that `sh -c 'exit 3'` can be wrapped) and on the
#      shell-less one (the shape of the default chiseled image);
#   5. `podman run --runtime runc` checks: --version, the exit code of a wrapped failing command,
#      the non-root user, SIGTERM to budget-run as the container's PID 1, no zombie left by an
#      orphaned grandchild, the control plane (metrics, kill switch) over the host network, and
#      `budget-run install` from the shell-less image onto a volume whose copy another image runs;
#   6. with --arm64: `podman build --platform linux/arm64` of the same Dockerfile (its build stage
#      cross-compiles on this machine's architecture; the runtime base is a shell-less arm64
#      stand-in whose packages are unpacked, never run), and checks that the image is arm64, that its
#      binary is an AArch64 ELF (e_machine 183) and that it runs from the image's own root under
#      qemu-aarch64-static (`--version`, a missing command -> 127). No binfmt_misc is needed, so
#      the image itself is not started. Opt-in because it adds minutes of build (README).
#
# Environment: BASE_CACHE (default /var/tmp/budget-run-base), DEBIAN_SUITE (bookworm), DEBIAN_MIRROR
# (default: the host's apt source), IMAGE (localhost/budget-run:local), NUGET_CACHE (a folder
# mounted as the build's NuGet package cache, default the host's ~/.nuget/packages; "none" restores
# everything from the feed), STORAGE_DRIVER (podman's own variable, e.g. vfs where overlay fails).
set -euo pipefail

arm64=${ARM64:-0}
for arg in "$@"; do
  case "$arg" in
    --arm64) arm64=1 ;;
    *) echo "build-local: unknown argument '$arg' (--arm64)" >&2; exit 2 ;;
  esac
done

repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/eng/container"
base_cache="${BASE_CACHE:-/var/tmp/budget-run-base}"
suite="${DEBIAN_SUITE:-bookworm}"
image="${IMAGE:-localhost/budget-run:local}"
image_minimal="${image}-minimal"
base_image="localhost/budget-run/debian:$suite"
runtime_deps_image="localhost/budget-run/runtime-deps:$suite"
runtime_deps_sh_image="localhost/budget-run/runtime-deps:$suite-sh"
runtime_deps_arm64_image="localhost/budget-run/runtime-deps:$suite-arm64"
image_arm64="${image}-arm64"
nuget_cache="${NUGET_CACHE:-$HOME/.nuget/packages}"

timings=()
failures=0
checks=0
started_all=$(date +%s.%N)

log() { printf 'build-local: %s\n' "$*" >&2; }

# Runs "$@" as one timed step; a failing step ends the script.
step() {
  local name=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  log "== $name"
  if ! "$@"; then
    t1=$(date +%s.%N)
    timings+=("$(printf '%-52s %7.1fs  FAILED' "$name" "$(echo "$t1 - $t0" | bc)")")
    print_timings
    log "FAILED: $name"
    exit 1
  fi
  t1=$(date +%s.%N)
  timings+=("$(printf '%-52s %7.1fs' "$name" "$(echo "$t1 - $t0" | bc)")")
}

# Runs "$@" as one timed check; a failing check is counted and the script goes on.
check() {
  local name=$1
  shift
  local t0 t1 verdict=ok
  t0=$(date +%s.%N)
  log "-- check: $name"
  checks=$((checks + 1))
  if ! "$@"; then
    verdict=FAILED
    failures=$((failures + 1))
  fi
  t1=$(date +%s.%N)
  timings+=("$(printf '%-52s %7.1fs  %s' "check: $name" "$(echo "$t1 - $t0" | bc)" "$verdict")")
}

print_timings() {
  printf '\n%-52s %8s\n' "step" "time" >&2
  printf '%s\n' "${timings[@]}" >&2
  printf '%-52s %7.1fs\n' "total" "$(echo "$(date +%s.%N) - $started_all" | bc)" >&2
}

[ "$(id -u)" -eq 0 ] || { log "run as root (rootful podman, debootstrap)"; exit 1; }

install_tools() {
  local packages=(podman buildah runc debootstrap uidmap containernetworking-plugins iptables bc curl ca-certificates)
  [ "$arm64" -eq 1 ] && packages+=(qemu-user-static)
  local missing=() package
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
# bc times the steps, so this first step is timed by hand.
t0=$(date +%s)
install_tools
timings+=("$(printf '%-52s %7ds' "install podman, buildah, runc, debootstrap" "$(($(date +%s) - t0))")")

# This sandbox (and some CI runners) lacks CAP_SYS_RESOURCE: runc may not raise RLIMIT_NOFILE to
# podman's default 1048576, nor RLIMIT_NPROC above what podman keeps for itself (32768). Asking
# for no more than the current hard limits works everywhere.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(ulimit -Hu)
{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
run_opts=(--runtime runc --pull=never --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
# Builds use chroot isolation (no runc, no new namespaces that a nested sandbox may refuse) and the
# host's network for apt and NuGet.
# BUILDPLATFORM: the Dockerfiles' build stages run on this machine's platform whatever --platform
# asks for; podman 4.3 (Debian 12) does not set it itself, newer podman and BuildKit do.
build_opts=(--isolation=chroot --pull=never --network host --build-arg "BUILDPLATFORM=linux/$(dpkg --print-architecture)")

# The mirror the host's apt uses is the one known to be reachable.
mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  # The first deb822 stanza (or one-line entry) that serves the suite itself; nothing found means
  # debootstrap's own default.
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$suite" '
    function flush() { if (uri != "" && has) { print uri; done = 1; exit } uri = ""; has = 0 }
    /^[[:space:]]*$/ { flush(); next }
    $1 == "URIs:" { uri = $2 }
    $1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
    END { if (!done && uri != "" && has) print uri }' || true)
  [ -n "$uri" ] || uri=$(awk -v suite="$suite" '$1 == "deb" {
      if ($2 ~ /^\[/) { u = $3; s = $4 } else { u = $2; s = $3 }
      if (s == suite) { print u; exit } }' /etc/apt/sources.list 2>/dev/null || true)
  echo "$uri"
}

make_base_rootfs() {
  local tarball="$base_cache/$suite-minbase.tar"
  if [ -s "$tarball" ]; then
    log "cached: $tarball"
    return 0
  fi
  mkdir -p "$base_cache"
  local rootfs="$base_cache/rootfs.tmp"
  rm -rf "$rootfs"
  # minbase: dpkg, apt, coreutils, dash: enough to apt-get install the rest inside a build.
  debootstrap --variant=minbase "$suite" "$rootfs" $(mirror) >"$base_cache/debootstrap.log" 2>&1 \
    || { tail -20 "$base_cache/debootstrap.log" >&2; return 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
}

import_base() {
  local tarball="$base_cache/$suite-minbase.tar"
  # Re-import when the tarball is newer than the image (a rebuilt cache).
  if podman image exists "$base_image" \
    && [ "$(podman image inspect --format '{{index .Labels "budget-run.base-tarball-mtime"}}' "$base_image" 2>/dev/null)" = "$(stat -c %Y "$tarball")" ]; then
    log "cached: $base_image"
    return 0
  fi
  podman import --change "LABEL budget-run.base-tarball-mtime=$(stat -c %Y "$tarball")" \
    --change 'CMD ["/bin/sh"]' "$tarball" "$base_image" >/dev/null
}

sdk_version=$(dotnet --version)
sdk_image="localhost/budget-run/dotnet-sdk:$sdk_version"
make_sdk_image() {
  if podman image exists "$sdk_image"; then
    log "cached: $sdk_image"
    return 0
  fi
  local dotnet_root
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  local host_ca=()
  [ -d /usr/local/share/ca-certificates ] && host_ca=(--volume /usr/local/share/ca-certificates:/host-ca:ro)
  podman build "${build_opts[@]}" "${host_ca[@]}" -f "$here/sdk-local.Containerfile" \
    --build-arg "BASE_IMAGE=$base_image" \
    --build-arg "NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-online}" \
    -t "$sdk_image" "$dotnet_root"
}

# Two runtime bases from one Containerfile: the shell-less one (the shape of the chiseled
# image) and its first stage, the same libraries on Debian with a shell, for wrapping `sh -c`.
make_runtime_deps_images() {
  if podman image exists "$runtime_deps_image" && podman image exists "$runtime_deps_sh_image"; then
    log "cached: $runtime_deps_image, $runtime_deps_sh_image"
    return 0
  fi
  podman build "${build_opts[@]}" -f "$here/runtime-deps-local.Containerfile" \
    --build-arg "BASE_IMAGE=$base_image" --target rootfs -t "$runtime_deps_sh_image" "$here" \
    && podman build "${build_opts[@]}" -f "$here/runtime-deps-local.Containerfile" \
      --build-arg "BASE_IMAGE=$base_image" -t "$runtime_deps_image" "$here"
}

# The shell-less base for linux/arm64, from the same Containerfile (its arm64 packages unpacked).
make_runtime_deps_arm64_image() {
  if podman image exists "$runtime_deps_arm64_image"; then
    log "cached: $runtime_deps_arm64_image"
    return 0
  fi
  podman build "${build_opts[@]}" --platform linux/arm64 -f "$here/runtime-deps-local.Containerfile" \
    --build-arg "BASE_IMAGE=$base_image" -t "$runtime_deps_arm64_image" "$here"
}

# A snapshot of the work tree as the build context (less .git, bin/ and obj/), so that both
# builds see the same sources, and their build stage is built once, even while the tree is edited.
context=$(mktemp -d /var/tmp/budget-run-context.XXXXXX)
trap 'rm -rf "$context"' EXIT
snapshot_context() {
  tar -C "$repo" --exclude=./.git --exclude='bin' --exclude='obj' --exclude='TestResults' -cf - . \
    | tar -C "$context" -xf -
}

build_image() {
  local runtime=$1 tag=$2
  shift 2
  local volume=()
  if [ "$nuget_cache" != none ] && [ -d "$nuget_cache" ]; then
    volume=(--volume "$nuget_cache:/root/.nuget/packages")
  fi
  local revision
  revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)
  podman build "${build_opts[@]}" "${volume[@]}" "$@" -f "$context/Dockerfile" \
    --build-arg "SDK_IMAGE=$sdk_image" --build-arg "RUNTIME_IMAGE=$runtime" \
    --build-arg "SOURCE_REVISION=$revision" -t "$tag" "$context"
}

step "debootstrap $suite base (cached in $base_cache)" make_base_rootfs
step "podman import base image" import_base
step "SDK image (base + host .NET $sdk_version)" make_sdk_image
step "runtime-deps images (with and without shell)" make_runtime_deps_images
step "snapshot of the build context" snapshot_context
# TARGETARCH and TARGETPLATFORM as podman sets them for --platform (podman 4.3 leaves them unset
# without one).
native_arch=$(dpkg --print-architecture)
native_target=(--build-arg "TARGETARCH=$native_arch" --build-arg "TARGETPLATFORM=linux/$native_arch")
step "podman build Dockerfile, runtime-deps with sh" build_image "$runtime_deps_sh_image" "$image" "${native_target[@]}"
step "podman build Dockerfile, shell-less runtime-deps" build_image "$runtime_deps_image" "$image_minimal" "${native_target[@]}"
if [ "$arm64" -eq 1 ]; then
  step "runtime-deps image, linux/arm64 (unpacked, not run)" make_runtime_deps_arm64_image
  step "podman build Dockerfile --platform linux/arm64" build_image "$runtime_deps_arm64_image" "$image_arm64" \
    --platform linux/arm64 --build-arg TARGETARCH=arm64 --build-arg TARGETPLATFORM=linux/arm64
fi

# ---- checks -------------------------------------------------------------------------------------

# expect_exit CODE IMAGE ARGS...: runs the image with ARGS and compares the exit code.
expect_exit() {
  local want=$1 img=$2
  shift 2
  local rc=0
  timeout 120 podman run --rm "${run_opts[@]}" --network none "$img" "$@" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    log "expected exit $want, got $rc: podman run $img $*"
    return 1
  fi
}

check_version() {
  local img=$1 out
  out=$(timeout 60 podman run --rm "${run_opts[@]}" --network none "$img" --version) || return 1
  log "  $out"
  [[ "$out" == "budget-run "* ]]
}

check_config() {
  local img=$1 user entrypoint
  user=$(podman image inspect --format '{{.Config.User}}' "$img")
  entrypoint=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$img")
  log "  User=$user Entrypoint=$entrypoint size=$(podman image inspect --format '{{.Size}}' "$img") bytes"
  [ "$user" = "1654:1654" ] && [ "$entrypoint" = '["budget-run"]' ]
}

check_uid() {
  local out
  out=$(timeout 60 podman run --rm "${run_opts[@]}" --network none "$image" --max-attempts 1 -- id -u) || return 1
  [ "$out" = 1654 ] || { log "  child runs as uid '$out', not 1654"; return 1; }
}

# SIGTERM to the container = SIGTERM to budget-run as PID 1: the child is stopped, exit 143.
# $@ is the command budget-run waits in; it must run for longer than the check.
check_sigterm() {
  local img=$1
  shift
  local name="budget-run-check-$$-$RANDOM" rc t0 t1
  podman run -d --name "$name" "${run_opts[@]}" --network none "$img" --kill-grace 2s "$@" >/dev/null || return 1
  sleep 1.5
  t0=$(date +%s.%N)
  podman kill --signal TERM "$name" >/dev/null
  rc=$(timeout 30 podman wait "$name") || rc="timeout"
  t1=$(date +%s.%N)
  podman rm -f "$name" >/dev/null 2>&1 || true
  log "  exit $rc, $(echo "$t1 - $t0" | bc)s after SIGTERM"
  [ "$rc" = 143 ]
}

# An orphaned grandchild (double fork) is reaped by budget-run as PID 1: while budget-run waits in a
# long backoff, no process in the container's PID namespace is a zombie and only PID 1 is left.
check_no_zombie() {
  local name="budget-run-check-$$-$RANDOM" states
  podman run -d --name "$name" "${run_opts[@]}" --network none "$image" \
    --max-attempts 2 --base-delay 60s --max-delay 60s --kill-grace 1s -- sh -c '(sleep 100 &) ; exit 1' >/dev/null || return 1
  local deadline=$((SECONDS + 20)) ok=1
  while [ $SECONDS -lt $deadline ]; do
    sleep 1
    # "pid (comm) state" of every process but the exec'd shell itself.
    states=$(podman exec "$name" sh -c 'for f in /proc/[0-9]*/stat; do read -r pid comm state rest < "$f" 2>/dev/null || continue; [ "$pid" = $$ ] || echo "$pid $comm $state"; done' 2>/dev/null || true)
    if [ -n "$states" ] && ! grep -q ' Z$' <<<"$states" && [ "$(awk '{ print $1 }' <<<"$states")" = 1 ]; then
      ok=0
      break
    fi
  done
  log "  processes in the container: $(echo "$states" | tr '\n' ';')"
  podman rm -f "$name" >/dev/null 2>&1 || true
  return $ok
}

# The Job pattern (examples/kubernetes/job.yaml): an init container of the shell-less image copies
# budget-run onto a volume with `budget-run install` (it has no cp), and another image runs the copy.
check_install() {
  local dir rc=0
  dir=$(mktemp -d)
  chown 1654:1654 "$dir"
  timeout 60 podman run --rm "${run_opts[@]}" --network none -v "$dir:/budget" "$image_minimal" install /budget/budget-run || rc=$?
  if [ "$rc" -ne 0 ] || [ ! -x "$dir/budget-run" ] || [ ! -x "$dir/budget-run-net" ]; then
    log "  install exited $rc; $(ls -l "$dir" 2>&1 | tail -n +2)"
    rm -rf "$dir"
    return 1
  fi
  timeout 60 podman run --rm "${run_opts[@]}" --network none -v "$dir:/budget:ro" --entrypoint /budget/budget-run "$image" \
    --max-attempts 2 --base-delay 100ms -- sh -c 'exit 3' || rc=$?
  [ "$rc" -eq 3 ] || { log "  the installed copy exited $rc, expected 3"; rm -rf "$dir"; return 1; }
  # A network feature: the installed copy becomes the budget-run-net installed beside it.
  rc=0
  timeout 60 podman run --rm "${run_opts[@]}" --network none -v "$dir:/budget:ro" --entrypoint /budget/budget-run "$image" \
    --listen 127.0.0.1:0 --max-attempts 1 -- sh -c 'test -n "$BUDGET_RUN_URL" && exit 4' || rc=$?
  rm -rf "$dir"
  [ "$rc" -eq 4 ] || { log "  the installed copy with --listen exited $rc, expected 4"; return 1; }
}

# The control plane in the container: metrics and health answer, the kill switch ends the run (77).
check_control_plane() {
  local name="budget-run-check-$$-$RANDOM" port rc dir
  port=$(( (RANDOM % 20000) + 30000 ))
  dir=$(mktemp -d)
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/token"
  # Owned by the image's user and private to it, as budget-run asks of a token file.
  chown 1654:1654 "$dir/token"
  chmod 0600 "$dir/token"
  podman run -d --name "$name" "${run_opts[@]}" --network host -v "$dir/token:/run/secrets/token:ro" "$image" \
    --listen "127.0.0.1:$port" --control-token-file /run/secrets/token --name container-check \
    --max-attempts 1 -- sleep 60 >/dev/null || return 1
  local deadline=$((SECONDS + 20)) ok=1
  while [ $SECONDS -lt $deadline ]; do
    if curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
      ok=0
      break
    fi
    sleep 0.2
  done
  if [ $ok -eq 0 ]; then
    # /healthz answers once the listener is up, which can be before attempt 1 has spawned, so wait
    # for the gauge. The body is read whole first: `curl | grep -q` under pipefail fails whenever
    # grep matches and exits before curl has written everything (curl then exits 23).
    local metrics="" running=1
    while [ $SECONDS -lt $deadline ]; do
      metrics=$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null) || metrics=""
      if grep -q '^budget_run_child_running{.*} 1' <<<"$metrics"; then
        running=0
        break
      fi
      sleep 0.2
    done
    [ $running -eq 0 ] || { log "  /metrics lacks budget_run_child_running 1"; ok=1; }
    curl -sf -X POST -H "Authorization: Bearer $(cat "$dir/token")" "http://127.0.0.1:$port/kill" >/dev/null || { log "  POST /kill failed"; ok=1; }
    rc=$(timeout 30 podman wait "$name") || rc=timeout
    log "  exit after POST /kill: $rc"
    [ "$rc" = 77 ] || ok=1
  else
    log "  /healthz never answered on 127.0.0.1:$port"
    podman logs "$name" >&2 || true
  fi
  podman rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$dir"
  return $ok
}

# ---- linux/arm64: the image is not started (that needs binfmt_misc); its binary runs from the
# image's root under qemu-user, with the image's own loader and libraries (-L).
check_arm64_config() {
  local arch
  arch=$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$image_arm64")
  log "  platform $arch, size $(podman image inspect --format '{{.Size}}' "$image_arm64") bytes"
  [ "$arch" = linux/arm64 ] && check_config "$image_arm64"
}

# Runs the arm64 image's budget-run with "$@" under qemu-aarch64-static; its output on stdout.
run_arm64() {
  local root rc=0
  root=$(podman image mount "$image_arm64") || return 1
  timeout 60 qemu-aarch64-static -L "$root" "$root/usr/local/bin/budget-run" "$@" || rc=$?
  podman image unmount "$image_arm64" >/dev/null || true
  return $rc
}

check_arm64_elf() {
  local root machine
  root=$(podman image mount "$image_arm64") || return 1
  # e_machine: 2 bytes, little-endian, at offset 18 of the ELF header; EM_AARCH64 is 183.
  machine=$(od -An -t u2 -j 18 -N 2 "$root/usr/local/bin/budget-run" | tr -d ' ')
  log "  $(file -b "$root/usr/local/bin/budget-run" 2>/dev/null || true)"
  podman image unmount "$image_arm64" >/dev/null || true
  log "  e_machine $machine"
  [ "$machine" = 183 ]
}

check_arm64_version() {
  local out amd64
  out=$(run_arm64 --version) || return 1
  amd64=$(timeout 60 podman run --rm "${run_opts[@]}" --network none "$image" --version) || return 1
  log "  $out (the linux/amd64 image: $amd64)"
  [[ "$out" == "budget-run "* ]] && [ "$out" = "$amd64" ]
}

check_arm64_missing_command() {
  local rc=0
  run_arm64 --max-attempts 2 --base-delay 100ms -- no-such-command >/dev/null 2>&1 || rc=$?
  log "  exit $rc"
  [ "$rc" -eq 127 ]
}

check "image config: USER 1654, ENTRYPOINT budget-run" check_config "$image"
check "image config of the shell-less image" check_config "$image_minimal"
check "--version" check_version "$image"
check "--version, shell-less image" check_version "$image_minimal"
check "wrapped sh -c 'exit 3' twice -> exit 3" expect_exit 3 "$image" --max-attempts 2 --base-delay 100ms -- sh -c 'exit 3'
# No shell in the chiseled-like image: budget-run wraps itself; the inner one exits 75 (its budget
# of 0 cannot pay for an attempt), the outer one retries that once and passes 75 on.
check "shell-less: wrapped failing command -> exit 75" expect_exit 75 "$image_minimal" \
  --max-attempts 2 --base-delay 100ms -- budget-run --max-cost-cents 0 --cost-per-attempt-cents 1 -- true
check "missing command -> exit 127" expect_exit 127 "$image_minimal" --max-attempts 3 -- no-such-command
check "child runs as uid 1654" check_uid
check "SIGTERM to PID 1 -> child stopped, exit 143" check_sigterm "$image" --max-attempts 1 -- sleep 60
check "shell-less: SIGTERM to PID 1 -> exit 143" check_sigterm "$image_minimal" \
  --max-attempts 2 --base-delay 60s --max-delay 60s -- budget-run --max-cost-cents 0 --cost-per-attempt-cents 1 -- true
check "orphaned grandchild reaped, no zombie" check_no_zombie
check "control plane: /healthz, /metrics, POST /kill -> 77" check_control_plane
check "shell-less: install onto a volume, the copy (and its budget-run-net) runs in another image" check_install
if [ "$arm64" -eq 1 ]; then
  check "linux/arm64 image: platform, USER 1654, ENTRYPOINT" check_arm64_config
  check "linux/arm64 image: budget-run is AArch64 (e_machine 183)" check_arm64_elf
  check "linux/arm64 image: --version under qemu, as amd64's" check_arm64_version
  check "linux/arm64 image: missing command -> 127 under qemu" check_arm64_missing_command
fi

print_timings
# Read by .ci/run, which adds these checks to the test totals.
log "checks: $((checks - failures)) passed, $failures failed"
if [ "$failures" -gt 0 ]; then
  log "$failures check(s) failed"
  exit 1
fi
log "all checks passed: $image, $image_minimal$([ "$arm64" -eq 1 ] && echo ", $image_arm64")"
