# budget-run as a container image: the Native AOT binary alone on a minimal base.
#
#   docker build -t budget-run .
#   docker buildx build --platform linux/amd64,linux/arm64 -t budget-run .    # both architectures
#   podman build --platform linux/arm64 -t budget-run:arm64 .    # podman 4.3: also --build-arg BUILDPLATFORM=linux/amd64
#   docker run --rm budget-run --max-attempts 3 -- some-command      # needs a base that has it
#
# The base images are build arguments so that a machine that cannot pull them can build from
# local ones (eng/container/build-local.sh does that with podman and a debootstrap'd Debian).
# Build and runtime bases must be the same distribution release: the binary links the build
# image's glibc.
#
# The architecture is the target platform's (TARGETARCH: amd64 or arm64, set by --platform). The
# build stage runs on the building machine's own platform and cross-compiles for the target
# (eng/container/build-deps.sh installs the cross toolchain), so an arm64 image builds on x64
# without emulation; only the runtime base is the target's.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled

FROM --platform=$BUILDPLATFORM ${SDK_IMAGE} AS build
ARG TARGETARCH
# Native AOT links with clang and needs zlib's headers; SQLite (the default ledger) is linked in
# statically from libsqlite3-dev; for another architecture, the cross toolchain and the target's
# libraries. The runtime identifier to publish for goes to /rid.
COPY eng/container/build-deps.sh /usr/local/share/budget-run/build-deps.sh
RUN sh /usr/local/share/budget-run/build-deps.sh "$TARGETARCH" > /rid
WORKDIR /src
# The whole of src/ rather than each project file first: a restore layer keyed on a hand-kept
# list of .csproj files silently breaks when a project is added.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY eng/analyzers/ eng/analyzers/
COPY src/ src/
# .git is not in the build context: the commit printed by `budget-run --version` comes from here.
ARG SOURCE_REVISION=
RUN dotnet publish src/BudgetRun.Cli/BudgetRun.Cli.csproj -c Release -r "$(cat /rid)" -o /out \
        -p:NativeCompiler=clang ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION} \
    && test -x /out/budget-run && test -x /out/budget-run-net

# The target's platform said again: podman 4.3 (buildah 1.28) otherwise keeps the build stage's.
FROM --platform=$TARGETPLATFORM ${RUNTIME_IMAGE} AS final
LABEL org.opencontainers.image.title="budget-run" \
      org.opencontainers.image.description="A budgeted retry supervisor: attempt cap, cost budget, backoff, signal forwarding, reaping."
# Both binaries of the publish: budget-run, and budget-run-net beside it, which it becomes for the
# network features (README, Two binaries).
COPY --from=build /out/budget-run /out/budget-run-net /usr/local/bin/
# 1654 is $APP_UID of the .NET images ("app"); numeric, so it works on bases without that user
# and Kubernetes' runAsNonRoot can verify it.
USER 1654:1654
ENTRYPOINT ["budget-run"]
