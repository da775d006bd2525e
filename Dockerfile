# budget-run as a container image: the Native AOT binary alone on a minimal base.
#
#   docker build -t budget-run .
#   docker run --rm budget-run --max-attempts 3 -- some-command      # needs a base that has it
#
# The base images are build arguments so that a machine that cannot pull them can build from
# local ones (eng/container/build-local.sh does that with podman and a debootstrap'd Debian).
# Build and runtime bases must be the same distribution release: the binary links the build
# image's glibc.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled

FROM ${SDK_IMAGE} AS build
# Native AOT links with clang and needs zlib's headers; SQLite (the default ledger) is linked in
# statically from libsqlite3-dev. Skipped when the SDK image already carries them.
RUN if ! command -v clang >/dev/null 2>&1 || [ ! -e /usr/include/zlib.h ] || ! ls /usr/lib/*-linux-gnu/libsqlite3.a >/dev/null 2>&1; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev libsqlite3-dev \
        && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
# The whole of src/ rather than each project file first: a restore layer keyed on a hand-kept
# list of .csproj files silently breaks when a project is added.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY eng/analyzers/ eng/analyzers/
COPY src/ src/
# .git is not in the build context: the commit printed by `budget-run --version` comes from here.
ARG SOURCE_REVISION=
RUN dotnet publish src/BudgetRun.Cli/BudgetRun.Cli.csproj -c Release -r linux-x64 -o /out \
        -p:NativeCompiler=clang ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION} \
    && test -x /out/budget-run

FROM ${RUNTIME_IMAGE} AS final
LABEL org.opencontainers.image.title="budget-run" \
      org.opencontainers.image.description="A budgeted retry supervisor: attempt cap, cost budget, backoff, signal forwarding, reaping."
COPY --from=build /out/budget-run /usr/local/bin/budget-run
# 1654 is $APP_UID of the .NET images ("app"); numeric, so it works on bases without that user
# and Kubernetes' runAsNonRoot can verify it.
USER 1654:1654
ENTRYPOINT ["budget-run"]
