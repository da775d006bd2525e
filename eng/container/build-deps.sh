#!/bin/sh
# The Dockerfile's build stage: installs what Native AOT needs to compile budget-run for the
# architecture ARCH (Debian's names: amd64, arm64) on this image's own architecture, and prints the
# .NET runtime identifier to publish for. Another architecture is cross-compiled, as on a dev
# machine (eng/install-deps.sh): clang --target links against the target's multiarch zlib and
# SQLite, and the native helper is built with Debian's cross gcc (BudgetRun.Cli.csproj,
# BuildCrossNativeHelper). Nothing is run under emulation.
#
#   rid=$(sh eng/container/build-deps.sh arm64)     # linux-arm64
set -eu
arch=${1:-}
native=$(dpkg --print-architecture)
[ -n "$arch" ] || arch=$native
case "$arch" in
  amd64) rid=linux-x64 triple=x86-64-linux-gnu ;;
  arm64) rid=linux-arm64 triple=aarch64-linux-gnu ;;
  *) echo "build-deps: architecture '$arch' is not built (amd64, arm64)" >&2; exit 1 ;;
esac

if [ "$arch" = "$native" ]; then
  packages="clang zlib1g-dev libsqlite3-dev"
  # The SDK image may carry them already.
  if command -v clang >/dev/null 2>&1 && [ -e /usr/include/zlib.h ] \
    && ls /usr/lib/*-linux-gnu/libsqlite3.a >/dev/null 2>&1; then
    packages=""
  fi
else
  packages="clang gcc-$triple binutils-$triple zlib1g-dev:$arch libsqlite3-dev:$arch"
  dpkg --add-architecture "$arch"
  # Ubuntu serves other architectures from ports.ubuntu.com only: its own sources are kept to the
  # image's architecture and the ports added for the target's. (Debian's mirrors carry them all.)
  if [ -f /etc/apt/sources.list.d/ubuntu.sources ] && ! grep -q ports.ubuntu.com /etc/apt/sources.list.d/ubuntu.sources; then
    . /etc/os-release
    sed -i "/^Types:/a Architectures: $native" /etc/apt/sources.list.d/ubuntu.sources
    cat >/etc/apt/sources.list.d/ubuntu-ports.sources <<EOF
Types: deb
URIs: http://ports.ubuntu.com/ubuntu-ports/
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates $VERSION_CODENAME-security
Components: main universe
Architectures: $arch
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
EOF
  fi
fi
if [ -n "$packages" ]; then
  apt-get update >&2
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages >&2
  rm -rf /var/lib/apt/lists/*
fi
echo "$rid"
