using BudgetRun.Cli.CommandLine;

namespace BudgetRun.Engine.Tests.Cli.CommandLine;

public sealed class SettingsBinderTests
{
    private static CliSettings Bind(string[] flags, IReadOnlyDictionary<string, string>? environment = null, params string[] command)
    {
        var options = new CliOptions();
        var parsed = options.CreateRoot().Parse(flags);
        Assert.Empty(parsed.Errors);
        var binder = new SettingsBinder(options, parsed, name => environment?.GetValueOrDefault(name));
        return binder.Bind(command.Length == 0 ? ["job"] : command);
    }

    [Fact]
    public void Bind_WithNothingSet_UsesTheContractsDefaults()
    {
        var settings = Bind([]).Supervisor;

        Assert.Equal(3, settings.MaxAttempts);
        Assert.Equal(200, settings.MaxCostCents);
        Assert.Equal(0, settings.CostPerAttemptCents);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.MaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.KillGrace);
        Assert.False(settings.Jitter);
        Assert.Null(settings.AttemptTimeout);
        Assert.Null(settings.Deadline);
        Assert.Null(settings.ResetAfter);
        Assert.Null(settings.RetryOn);
        Assert.Empty(settings.NoRetryOn);
    }

    [Fact]
    public void Bind_WhenAFlagAndItsEnvironmentVariableDisagree_TheFlagWins()
    {
        var environment = new Dictionary<string, string> { ["MAX_ATTEMPTS"] = "9", ["MAX_COST_CENTS"] = "50" };

        var settings = Bind(["--max-attempts", "2"], environment).Supervisor;

        Assert.Equal(2, settings.MaxAttempts);
        Assert.Equal(50, settings.MaxCostCents);
    }

    [Fact]
    public void Bind_WhenAFlagIsGood_ABadEnvironmentVariableForItIsIgnored()
    {
        var environment = new Dictionary<string, string> { ["MAX_ATTEMPTS"] = "abc" };

        Assert.Equal(4, Bind(["--max-attempts", "4"], environment).Supervisor.MaxAttempts);
    }

    [Theory]
    [InlineData("MAX_ATTEMPTS", "0")]
    [InlineData("MAX_ATTEMPTS", "2.5")]
    [InlineData("MAX_COST_CENTS", "-1")]
    [InlineData("COST_PER_ATTEMPT_CENTS", "1e99")]
    public void Bind_WithABadEnvironmentVariable_IsAUsageErrorNamingIt(string name, string value)
    {
        var environment = new Dictionary<string, string> { [name] = value };

        var error = Assert.Throws<UsageException>(() => Bind([], environment));

        Assert.StartsWith($"{name}: '{value}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_WithAnEmptyEnvironmentVariable_UsesTheDefault()
    {
        var environment = new Dictionary<string, string> { ["MAX_ATTEMPTS"] = "" };

        Assert.Equal(3, Bind([], environment).Supervisor.MaxAttempts);
    }

    [Theory]
    [InlineData("--max-attempts", "0")]
    [InlineData("--max-cost-cents", "0x10")]
    [InlineData("--base-delay", "0s")]
    [InlineData("--attempt-timeout", "5")]
    [InlineData("--deadline", "8d")]
    [InlineData("--kill-grace", "-1s")]
    [InlineData("--reset-after", "abc")]
    [InlineData("--retry-on", "256")]
    [InlineData("--log-format", "xml")]
    public void Bind_WithABadFlagValue_IsAUsageErrorNamingTheFlag(string flag, string value)
    {
        var error = Assert.Throws<UsageException>(() => Bind([flag, value]));

        Assert.StartsWith($"{flag}: '{value}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_WhenBaseDelayIsLongerThanMaxDelay_AcceptsBoth_TheCapWins()
    {
        // min(base * 2^(n-1), max) is well defined for any base: every wait is simply the cap.
        var settings = Bind(["--base-delay", "5s", "--max-delay", "2s"]);

        Assert.Equal(TimeSpan.FromSeconds(5), settings.Supervisor.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Supervisor.MaxDelay);
        var schedule = new BudgetRun.Engine.Retry.BackoffSchedule(settings.Supervisor.BaseDelay, settings.Supervisor.MaxDelay, jitter: false, () => 0.5);
        Assert.Equal(TimeSpan.FromSeconds(2), schedule.Next());
    }

    [Fact]
    public void Bind_WithoutACommand_IsAUsageError()
    {
        var options = new CliOptions();
        var binder = new SettingsBinder(options, options.CreateRoot().Parse([]), _ => null);

        Assert.Throws<UsageException>(() => binder.Bind([]));
    }

    [Fact]
    public void Bind_WithEveryFlag_CarriesEachValueThrough()
    {
        var settings = Bind(
        [
            "--max-attempts", "5", "--max-cost-cents", "60", "--cost-per-attempt-cents", "30",
            "--base-delay", "500ms", "--max-delay", "2m", "--jitter", "--attempt-timeout", "1.5s",
            "--deadline", "1h", "--retry-on", "1,75,137", "--no-retry-on", "3", "--kill-grace", "2s",
            "--reset-after", "10m",
        ]).Supervisor;

        Assert.Equal(5, settings.MaxAttempts);
        Assert.Equal(60, settings.MaxCostCents);
        Assert.Equal(30, settings.CostPerAttemptCents);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.BaseDelay);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.MaxDelay);
        Assert.True(settings.Jitter);
        Assert.Equal(TimeSpan.FromSeconds(1.5), settings.AttemptTimeout);
        Assert.Equal(TimeSpan.FromHours(1), settings.Deadline);
        Assert.Equal(new HashSet<int> { 1, 75, 137 }, settings.RetryOn);
        Assert.Equal(new HashSet<int> { 3 }, settings.NoRetryOn);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.KillGrace);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.ResetAfter);
    }
}
