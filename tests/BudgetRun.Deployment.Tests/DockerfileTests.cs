using System.Text.RegularExpressions;
using BudgetRun.Deployment.Tests.Infrastructure;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// The Dockerfile's shape: no image can be pulled here to build it in every test run
/// (eng/container/build-local.sh builds and runs it for real), so what users and the local build
/// rely on is checked from its text.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly Dockerfile _dockerfile = Dockerfile.Load(Repository.PathOf("Dockerfile"));

    [Fact]
    public void BaseImages_AreBuildArguments_WithTheDotnetImagesAsDefaults()
    {
        Assert.Contains("dotnet/sdk", _dockerfile.GlobalArgDefault("SDK_IMAGE") ?? "(SDK_IMAGE is not declared before the first FROM)", StringComparison.Ordinal);
        var runtime = _dockerfile.GlobalArgDefault("RUNTIME_IMAGE") ?? "(RUNTIME_IMAGE is not declared before the first FROM)";
        Assert.True(runtime.Contains("runtime-deps", StringComparison.Ordinal) || runtime.Contains("distroless", StringComparison.Ordinal),
            $"RUNTIME_IMAGE defaults to {runtime}, not a minimal runtime-deps or distroless image");
    }

    [Fact]
    public void IsMultiStage_BuildingInTheSdkImage_ShippingOnTheRuntimeImage()
    {
        Assert.True(_dockerfile.Stages.Count >= 2, "a multi-stage build is expected");
        var build = _dockerfile.Stages[0];
        var final = _dockerfile.Stages[^1];
        Assert.Equal("${SDK_IMAGE}", build.Image);
        Assert.Equal("${RUNTIME_IMAGE}", final.Image);
        Assert.NotNull(build.Name);
    }

    [Fact]
    public void BuildStage_InstallsTheAotToolchain_AndPublishesNativeAot()
    {
        // The build stage runs on the build machine and cross-compiles for TARGETARCH: its toolchain
        // comes from eng/container/build-deps.sh, which prints the runtime identifier it set up for.
        var build = _dockerfile.Stages[0];
        Assert.Contains("--platform=$BUILDPLATFORM", build.From.Arguments, StringComparison.Ordinal);
        var deps = Assert.Single(build.All("RUN"), instruction => instruction.Arguments.Contains("build-deps.sh", StringComparison.Ordinal));
        Assert.Contains("\"$TARGETARCH\" > /rid", deps.Arguments, StringComparison.Ordinal);
        var script = File.ReadAllText(Repository.PathOf("eng/container/build-deps.sh"));
        Assert.Contains("clang", script, StringComparison.Ordinal);
        Assert.Contains("zlib1g-dev", script, StringComparison.Ordinal);
        Assert.Contains("gcc-$triple", script, StringComparison.Ordinal);
        var publish = Assert.Single(build.All("RUN"), instruction => instruction.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("src/BudgetRun.Cli", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("-c Release", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("-r \"$(cat /rid)\"", publish.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void FinalStage_CopiesOnlyTheTwoBinaries_RunsNoCommand_AsANumericNonRootUser()
    {
        var final = _dockerfile.Stages[^1];
        var build = _dockerfile.Stages[0];
        var copy = Assert.Single(final.All("COPY"));
        Assert.Matches($@"^--from={Regex.Escape(build.Name!)}\s+\S*/budget-run\s+\S*/budget-run-net\s+/usr/local/bin/$", copy.Arguments);
        // A chiseled or distroless base has no shell: a RUN there fails.
        Assert.Empty(final.All("RUN"));
        var user = Assert.Single(final.All("USER")).Arguments;
        Assert.Matches(NumericUser(), user);
        Assert.NotEqual("0", user.Split(':')[0]);
    }

    [Fact]
    public void Entrypoint_IsBudgetRun_InExecForm()
    {
        var entrypoint = Assert.Single(_dockerfile.Stages[^1].All("ENTRYPOINT"));
        Assert.Equal("""["budget-run"]""", entrypoint.Arguments.Replace(" ", "", StringComparison.Ordinal));
        Assert.Empty(_dockerfile.Stages[^1].All("CMD"));
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputsAndGitOutOfTheContext()
    {
        var lines = File.ReadAllLines(Repository.PathOf(".dockerignore")).Select(line => line.Trim()).ToList();
        Assert.Contains(".git", lines);
        Assert.Contains(lines, line => line is "**/bin/" or "**/bin" or "bin/");
        Assert.Contains(lines, line => line is "**/obj/" or "**/obj" or "obj/");
    }

    [GeneratedRegex("^[0-9]+(:[0-9]+)?$")]
    private static partial Regex NumericUser();
}
