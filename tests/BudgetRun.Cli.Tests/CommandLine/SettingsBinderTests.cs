using BudgetRun.Cli.CommandLine;
using BudgetRun.Engine.Processes;

namespace BudgetRun.Cli.Tests.CommandLine;

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

    [Theory]
    [InlineData("--jitter job", "Decorrelated", "job")]
    [InlineData("--jitter full job", "Full", "job")]
    [InlineData("--jitter=full job", "Full", "job")]
    [InlineData("--jitter decorrelated job", "Decorrelated", "job")]
    [InlineData("--jitter=true job", "Decorrelated", "job")]
    [InlineData("--jitter=false job", "None", "job")]
    [InlineData("--jitter ./full", "Decorrelated", "./full")] // any other word after it is the command
    [InlineData("--jitter full full", "Full", "full")]
    [InlineData("--jitter -- full", "Decorrelated", "full")]
    public void Jitter_TakesFullOrDecorrelated_AndAnyOtherWordIsTheCommand(string line, string kind, string command)
    {
        var options = new CliOptions();
        var root = options.CreateRoot();
        var (ours, rest) = ArgumentSplitter.Split(line.Split(' '), root);
        var parsed = root.Parse(ours);
        Assert.Empty(parsed.Errors);

        var settings = new SettingsBinder(options, parsed, _ => null).Bind(rest);

        Assert.Equal(Enum.Parse<BudgetRun.Engine.Retry.JitterKind>(kind), settings.Supervisor.Jitter);
        Assert.Equal(command, Assert.Single(settings.Supervisor.Command));
    }

    [Theory]
    [InlineData("--jitter=maybe")]
    [InlineData("--jitter=Full")]
    [InlineData("--jitter=yes")]
    public void Jitter_WithAnotherValue_IsAUsageErrorNamingTheFlag(string flag)
    {
        var error = Assert.Throws<UsageException>(() => Bind([flag]));

        Assert.StartsWith("--jitter: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("--jitter=full", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], CgroupMode.Auto)]
    [InlineData(new[] { "--cgroup", "auto" }, CgroupMode.Auto)]
    [InlineData(new[] { "--cgroup", "required" }, CgroupMode.Required)]
    [InlineData(new[] { "--cgroup=off" }, CgroupMode.Off)]
    public void Cgroup_IsAutoByDefault_AndTakesRequiredOrOff(string[] flags, CgroupMode mode)
    {
        Assert.Equal(mode, Bind(flags).Supervisor.Cgroup);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("Auto")]
    [InlineData("")]
    public void Cgroup_WithAnotherValue_IsAUsageErrorNamingTheFlagAndItsWords(string value)
    {
        var error = Assert.Throws<UsageException>(() => Bind(["--cgroup", value]));

        Assert.Equal($"--cgroup: '{value}' is not one of required, auto, off", error.Message);
    }

    [Theory]
    [InlineData("--cost-per-minute-cents 12", "12", 60)]
    [InlineData("--cost-per-minute-cents 0.5 --meter-slice 10s", "0.5", 10)]
    [InlineData("--cost-per-hour-cents 90", "1.5", 60)]
    [InlineData("--cost-per-hour-cents=600 --meter-slice=2m", "10", 120)]
    [InlineData("--cost-per-minute-cents 0.000001", "0.000001", 60)]
    public void Meter_TakesARatePerMinuteOrPerHour_AndASlice(string line, string perMinute, int sliceSeconds)
    {
        var settings = Bind(line.Split(' ')).Supervisor;

        Assert.Equal(decimal.Parse(perMinute, System.Globalization.CultureInfo.InvariantCulture), settings.CostPerMinuteCents);
        Assert.Equal(TimeSpan.FromSeconds(sliceSeconds), settings.MeterSlice);
    }

    [Fact]
    public void Meter_IsOffByDefault()
    {
        var settings = Bind([]).Supervisor;

        Assert.Equal((0m, TimeSpan.FromMinutes(1)), (settings.CostPerMinuteCents, settings.MeterSlice));
    }

    [Theory]
    [InlineData("--cost-per-minute-cents 0", "--cost-per-minute-cents: '0' is not a rate in cents")]
    [InlineData("--cost-per-minute-cents -1", "--cost-per-minute-cents: '-1' is not a rate in cents")]
    [InlineData("--cost-per-minute-cents 1e3", "--cost-per-minute-cents: '1e3' is not a rate in cents")]
    [InlineData("--cost-per-minute-cents 1,5", "--cost-per-minute-cents: '1,5' is not a rate in cents")]
    [InlineData("--cost-per-minute-cents 0.0000001", "--cost-per-minute-cents: '0.0000001' is not a rate in cents")]
    [InlineData("--cost-per-minute-cents .5", "--cost-per-minute-cents: '.5' is not a rate in cents")]
    [InlineData("--cost-per-minute-cents 1000000000001", "--cost-per-minute-cents: '1000000000001' is not a rate in cents")]
    [InlineData("--cost-per-hour-cents nan", "--cost-per-hour-cents: 'nan' is not a rate in cents")]
    [InlineData("--cost-per-minute-cents 1 --cost-per-hour-cents 60", "--cost-per-hour-cents: give one rate")]
    [InlineData("--meter-slice 10s", "--meter-slice: '10s' meters nothing without --cost-per-minute-cents, --cost-per-hour-cents or --cost-per-cpu-second-cents")]
    [InlineData("--cost-per-minute-cents 1 --meter-slice 500ms", "--meter-slice: '500ms' is not from 1s to 24h")]
    [InlineData("--cost-per-minute-cents 1 --meter-slice 25h", "--meter-slice: '25h' is not from 1s to 24h")]
    [InlineData("--cost-per-minute-cents 1 --meter-slice soon", "--meter-slice: 'soon' is not a duration")]
    [InlineData("--cost-per-minute-cents 1000000000000 --meter-slice 2m", "--meter-slice: a slice of 2m at that rate is more than")]
    public void Meter_WithABadRateOrSlice_IsAUsageErrorNamingTheFlag(string line, string expected)
    {
        var error = Assert.Throws<UsageException>(() => Bind(line.Split(' ')));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
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
        Assert.Equal(BudgetRun.Engine.Retry.JitterKind.None, settings.Jitter);
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
        var schedule = new BudgetRun.Engine.Retry.BackoffSchedule(settings.Supervisor.BaseDelay, settings.Supervisor.MaxDelay, BudgetRun.Engine.Retry.JitterKind.None, () => 0.5);
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
        Assert.Equal(BudgetRun.Engine.Retry.JitterKind.Decorrelated, settings.Jitter);
        Assert.Equal(TimeSpan.FromSeconds(1.5), settings.AttemptTimeout);
        Assert.Equal(TimeSpan.FromHours(1), settings.Deadline);
        Assert.Equal(new HashSet<int> { 1, 75, 137 }, settings.RetryOn);
        Assert.Equal(new HashSet<int> { 3 }, settings.NoRetryOn);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.KillGrace);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.ResetAfter);
    }

    [Theory]
    [InlineData(new[] { "--base-delay", "20s", "--max-delay", "1s" }, "--base-delay 20s is longer than --max-delay 1s: every backoff wait is 1s")]
    [InlineData(new[] { "--attempt-timeout", "1h", "--deadline", "1s" }, "--attempt-timeout 3600s is not shorter than --deadline 1s: the deadline ends the attempt first (exit 124)")]
    [InlineData(new[] { "--attempt-timeout", "5s", "--deadline", "5s" }, "--attempt-timeout 5s is not shorter than --deadline 5s: the deadline ends the attempt first (exit 124)")]
    [InlineData(new[] { "--reset-after", "2m", "--attempt-timeout", "1m" }, "--reset-after 120s is longer than --attempt-timeout 60s: no attempt can run long enough to start the count over")]
    public void Bind_WhenTwoOptionsContradictEachOther_WarnsOnceSayingWhatHappens(string[] flags, string warning)
    {
        var settings = Bind(flags);

        Assert.Equal(warning, Assert.Single(settings.Warnings));
    }

    [Theory]
    [InlineData("--base-delay 1s --max-delay 1s")]
    [InlineData("--attempt-timeout 59s --deadline 1m")]
    [InlineData("--reset-after 1m --attempt-timeout 1m")]
    [InlineData("")]
    public void Bind_WhenOptionsAgree_WarnsNothing(string flags) =>
        Assert.Empty(Bind(flags.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Warnings);

    [Fact]
    public void Bind_WithPushIntervalButNoPushgateway_IsAUsageError()
    {
        var error = Assert.Throws<UsageException>(() => Bind(["--push-interval", "5s"]));

        Assert.Equal("--push-interval: '5s' needs --pushgateway (or BUDGET_RUN_PUSHGATEWAY)", error.Message);
    }

    [Fact]
    public void Bind_WithPushIntervalAndAPushgatewayInTheEnvironment_TakesIt()
    {
        var settings = Bind(["--push-interval", "5s"], new Dictionary<string, string> { ["BUDGET_RUN_PUSHGATEWAY"] = "http://127.0.0.1:9091" });

        Assert.Equal(TimeSpan.FromSeconds(5), settings.ControlPlane!.PushInterval);
    }

    [Fact]
    public void Help_StatesTheDefaultsTheBinderUses()
    {
        var options = new CliOptions();
        var defaults = BudgetRun.Engine.SupervisorOptions.Defaults;

        Assert.Contains($"default {defaults.MaxAttempts})", options.MaxAttempts.Description, StringComparison.Ordinal);
        Assert.Contains($"default {defaults.MaxCostCents})", options.MaxCostCents.Description, StringComparison.Ordinal);
        Assert.Contains("(default 1s)", options.BaseDelay.Description, StringComparison.Ordinal);
        Assert.Contains("(default 10s)", options.MaxDelay.Description, StringComparison.Ordinal);
        Assert.Contains("(default 10s)", options.KillGrace.Description, StringComparison.Ordinal);
        Assert.Contains("(default 900s)", options.ReservationTtl.Description, StringComparison.Ordinal);
    }
}
