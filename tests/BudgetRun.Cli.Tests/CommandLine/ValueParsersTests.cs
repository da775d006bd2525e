using BudgetRun.Cli.CommandLine;

namespace BudgetRun.Cli.Tests.CommandLine;

public sealed class ValueParsersTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2s", 2_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0.5ms", 0.5)]
    [InlineData("168h", 604_800_000)]
    [InlineData("604800s", 604_800_000)]
    [InlineData("10080m", 604_800_000)]
    public void Duration_WithAUnit_IsAccepted(string value, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ValueParsers.Duration("--deadline", value));

    [Theory]
    [InlineData("0s")]
    [InlineData("0ms")]
    [InlineData("0.00001ms")]
    [InlineData("-1s")]
    [InlineData("5")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("8d")]
    [InlineData("1d")]
    [InlineData("169h")]
    [InlineData("168.0024h")]
    [InlineData("604800.1s")]
    [InlineData("10080.1m")]
    [InlineData("1e3s")]
    [InlineData(".5s")]
    [InlineData("1.s")]
    [InlineData(" 1s")]
    [InlineData("1s ")]
    [InlineData("1 s")]
    [InlineData("1,5s")]
    [InlineData("+1s")]
    [InlineData("1S")]
    [InlineData("1sec")]
    [InlineData("1m30s")]
    public void Duration_ThatIsNotPositiveWithAUnitAndAtMostSevenDays_IsAUsageError(string value)
    {
        var error = Assert.Throws<UsageException>(() => ValueParsers.Duration("--deadline", value));

        Assert.StartsWith("--deadline: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    // A usage error (exit 2, one line), not an OverflowException from decimal.Parse (exit 70 and a stack trace).
    [Theory]
    [InlineData("99999999999999999999999999999s")]
    [InlineData("100000000000000000000000000000000000000ms")]
    public void Duration_WithMoreDigitsThanADecimalHolds_IsAUsageError(string value) =>
        Assert.Throws<UsageException>(() => ValueParsers.Duration("--deadline", value));

    [Theory]
    [InlineData("0", 0)]
    [InlineData("3", 3)]
    [InlineData("200", 200)]
    [InlineData("007", 7)]
    public void WholeNumber_InRange_IsAccepted(string value, long expected) =>
        Assert.Equal(expected, ValueParsers.WholeNumber("--max-cost-cents", value, 0, long.MaxValue));

    [Theory]
    [InlineData("2.5")]
    [InlineData("1e99")]
    [InlineData("1e2")]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("0x10")]
    [InlineData("+3")]
    [InlineData(" 3")]
    [InlineData("3 ")]
    [InlineData("")]
    [InlineData("1,000")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("99999999999999999999999")]
    public void WholeNumber_ThatIsNotAPlainWholeNumber_IsAUsageError(string value)
    {
        var error = Assert.Throws<UsageException>(() => ValueParsers.WholeNumber("MAX_COST_CENTS", value, 0, long.MaxValue));

        Assert.StartsWith("MAX_COST_CENTS: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", 1, 10)]
    [InlineData("11", 1, 10)]
    [InlineData("2147483648", 1, int.MaxValue)]
    public void WholeNumber_OutOfRange_IsAUsageError(string value, long min, long max) =>
        Assert.Throws<UsageException>(() => ValueParsers.WholeNumber("--max-attempts", value, min, max));

    [Theory]
    [InlineData("1048576", 1L << 20)]
    [InlineData("1M", 1L << 20)]
    [InlineData("1024K", 1L << 20)]
    [InlineData("512M", 512L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1024T", 1L << 50)]
    public void Size_InBytesOrWithAUnit_IsAccepted(string value, long bytes) =>
        Assert.Equal(bytes, ValueParsers.Size("--memory-max", value));

    [Theory]
    [InlineData("512", "is not from 1M to 1024T")]
    [InlineData("1023K", "is not from 1M to 1024T")]
    [InlineData("1025T", "is not from 1M to 1024T")]
    [InlineData("0", "is not from 1M to 1024T")]
    [InlineData("99999999999999999T", "is not a size")]
    [InlineData("1.5G", "is not a size")]
    [InlineData("1g", "is not a size")]
    [InlineData("1GB", "is not a size")]
    [InlineData("-1M", "is not a size")]
    [InlineData("", "is not a size")]
    [InlineData(" 1M", "is not a size")]
    public void Size_ThatIsNoSizeOrOutOfRange_IsAUsageError(string value, string why)
    {
        var error = Assert.Throws<UsageException>(() => ValueParsers.Size("--memory-max", value));
        Assert.StartsWith($"--memory-max: '{value}' {why}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.5", "0.5")]
    [InlineData("2", "2")]
    [InlineData("0.01", "0.01")]
    [InlineData("4096", "4096")]
    public void Cpus_AreAccepted(string value, string expected) =>
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ValueParsers.Cpus("--cpu-max", value));

    [Theory]
    [InlineData("0")]
    [InlineData("0.009")]
    [InlineData("4096.001")]
    [InlineData("0.0001")]
    [InlineData("1e1")]
    [InlineData("-1")]
    [InlineData("half")]
    public void Cpus_OutOfRangeOrNoNumber_AreAUsageError(string value)
    {
        var error = Assert.Throws<UsageException>(() => ValueParsers.Cpus("--cpu-max", value));
        Assert.Equal($"--cpu-max: '{value}' is not a number of CPUs from 0.01 to 4096 (up to 3 decimals: 0.5, 2)", error.Message);
    }

    [Fact]
    public void ExitCodeList_WithTheWordsOomAndUnhealthy_HoldsThemBeyondTheCodes() =>
        Assert.Equal(new HashSet<int> { 1, 137, Engine.ExitCodes.Oom, Engine.ExitCodes.Unhealthy }, ValueParsers.ExitCodeList("--retry-on", "1, oom,137 ,unhealthy"));

    [Theory]
    [InlineData("OOM")]
    [InlineData("oom-kill")]
    [InlineData("oomx,1")]
    [InlineData("256")]
    [InlineData("257")]
    [InlineData("Unhealthy")]
    [InlineData("unhealthy-ish")]
    public void ExitCodeList_WithAnythingElseThanTheExactWordOom_IsAUsageError(string value)
    {
        var error = Assert.Throws<UsageException>(() => ValueParsers.ExitCodeList("--retry-on", value));
        Assert.Equal($"--retry-on: '{value}' is not a list of exit codes from 1 to 255, oom or unhealthy (e.g. 1,75,137,oom)", error.Message);
    }

    [Fact]
    public void ExitCodeList_OfCommaSeparatedCodes_IsAccepted() =>
        Assert.Equal(new HashSet<int> { 1, 75, 137 }, ValueParsers.ExitCodeList("--retry-on", "1,75,137"));

    [Theory]
    [InlineData("255")]
    [InlineData("1")]
    public void ExitCodeList_AtTheEdgesOfTheRange_IsAccepted(string value) =>
        Assert.Single(ValueParsers.ExitCodeList("--retry-on", value));

    [Theory]
    [InlineData("0")]
    [InlineData("256")]
    [InlineData("1,,2")]
    [InlineData("a")]
    [InlineData("")]
    [InlineData("1,")]
    [InlineData("-1")]
    [InlineData("1;2")]
    [InlineData("1.5")]
    public void ExitCodeList_WithABadCode_IsAUsageError(string value)
    {
        var error = Assert.Throws<UsageException>(() => ValueParsers.ExitCodeList("--no-retry-on", value));

        Assert.StartsWith("--no-retry-on: ", error.Message, StringComparison.Ordinal);
    }
}
