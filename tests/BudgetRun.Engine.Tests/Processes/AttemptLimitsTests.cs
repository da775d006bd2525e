using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Processes;

/// <summary>
/// <c>--memory-max</c> and <c>--cpu-max</c> as the files an attempt's cgroup gets. The kernel's
/// enforcement needs a cgroup v2 with the memory and cpu controllers, which this host's has not:
/// here the files are written into a plain directory standing in for the attempt's cgroup.
/// </summary>
public sealed class AttemptLimitsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("attempt-limits-").FullName;

    [Theory]
    [InlineData("0.5", "50000 100000")]
    [InlineData("0.01", "1000 100000")]
    [InlineData("2", "200000 100000")]
    [InlineData("1.234", "123400 100000")]
    public void CpuMax_IsTheQuotaOfThatManyCpusPer100msPeriod(string cpus, string expected) =>
        Assert.Equal(expected, AttemptLimits.CpuMaxLine(decimal.Parse(cpus, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Limit_WritesMemoryMaxAndCpuMax_ToTheAttemptsCgroup()
    {
        var cgroup = new AttemptCgroup(_directory);

        var error = cgroup.Limit(new AttemptLimits(512L << 20, 1.5m));

        Assert.Null(error);
        Assert.Equal("536870912", File.ReadAllText(Path.Combine(_directory, "memory.max")));
        Assert.Equal("150000 100000", File.ReadAllText(Path.Combine(_directory, "cpu.max")));
    }

    [Fact]
    public void Limit_WithOnlyOne_WritesOnlyItsFile()
    {
        var cgroup = new AttemptCgroup(_directory);

        Assert.Null(cgroup.Limit(new AttemptLimits(CpuMax: 0.25m)));

        Assert.Equal(["cpu.max"], Directory.EnumerateFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Limit_ThatCannotBeWritten_SaysWhichFileAndWhy()
    {
        var cgroup = new AttemptCgroup(Path.Combine(_directory, "gone"));

        var error = cgroup.Limit(new AttemptLimits(1L << 30));

        Assert.NotNull(error);
        Assert.StartsWith($"cannot write 1073741824 to {_directory}/gone/memory.max: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Controllers_NameTheFlagThatNeedsThem()
    {
        Assert.Empty(AttemptLimits.None.Controllers());
        Assert.False(AttemptLimits.None.Any);
        Assert.Equal([("memory", "--memory-max"), ("cpu", "--cpu-max")], new AttemptLimits(1L << 20, 1).Controllers());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
