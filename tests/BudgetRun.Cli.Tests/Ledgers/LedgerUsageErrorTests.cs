namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Bad ledger, key and window values are usage errors: exit 2, one line on stderr naming the flag
/// (or variable) and the value, nothing started, no ledger touched.
/// </summary>
public sealed class LedgerUsageErrorTests() : LedgerTest(redis: null)
{
    public static TheoryData<string, string> BadLedgers => new()
    {
        { "ftp://example.org/ledger", "unknown ledger scheme" },
        { "postgres://ops:secret@db:5432/budget", "credentials do not belong in the URI" },
        { "postgres://db:5432/budget?sslmode=always", "sslmode" },
        { "/var/lib/budget-run/ledger.db", "sqlite:" },
        { "redis:localhost:6379", "--ledger" },
        { "redis://", "--ledger" },
        { "redis://localhost:notaport", "--ledger" },
        { "redis://localhost:6379/db1", "--ledger" },
        { "redis://localhost:6379/0?ssl=true", "--ledger" },
        { "redis://user:secret@localhost:6379", "--ledger" },
        { "sqlite:/tmp/ledgers/", "--ledger" },
    };

    public static TheoryData<string> BadKeys => new()
    {
        "",
        "-starts-with-a-dash",
        "has space",
        "semi;colon",
        "ключ",
        new string('k', 201),
    };

    public static TheoryData<string> BadWindows => new() { "0h", "abc", "-1h", "1.5h", "24", "h", "1w" };

    [Theory]
    [MemberData(nameof(BadLedgers))]
    public async Task Run_WithABadLedger_IsAUsageError(string ledger, string mentioned)
    {
        var result = await RunToEndAsync(["--ledger", ledger, "--budget-key", Key, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        var line = AssertUsageError(result);
        Assert.Contains(mentioned, line, StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
        Assert.DoesNotContain("secret", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithABadLedgerInTheEnvironment_NamesTheVariable()
    {
        var result = await RunToEndAsync(["--budget-key", Key, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")],
            new Dictionary<string, string?> { ["BUDGET_RUN_LEDGER"] = "mysql://db/budget" });

        Assert.Contains("BUDGET_RUN_LEDGER", AssertUsageError(result), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("kill")]
    [InlineData("resume")]
    [InlineData("serve")]
    public async Task Subcommand_WithABadLedger_IsAUsageError(string subcommand)
    {
        var result = await RunToEndAsync([subcommand, "--ledger", "redis://localhost:notaport", "--budget-key", Key, .. Listen(subcommand)]);

        Assert.Contains("--ledger", AssertUsageError(result), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Run_WithABadKey_IsAUsageError(string key)
    {
        var result = await RunToEndAsync(["--ledger", "sqlite:" + Scratch.Path("ledger.db"), "--budget-key", key,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        Assert.Contains("--budget-key", AssertUsageError(result), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
        Assert.False(File.Exists(Scratch.Path("ledger.db")), "a ledger was created for a bad key");
    }

    [Theory]
    [InlineData("status")]
    [InlineData("kill")]
    [InlineData("resume")]
    public async Task Subcommand_WithABadKey_IsAUsageError(string subcommand)
    {
        var result = await RunToEndAsync([subcommand, "--ledger", "sqlite:" + Scratch.Path("ledger.db"), "--budget-key", "has space"]);

        Assert.Contains("--budget-key", AssertUsageError(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithABadKeyInTheEnvironment_NamesTheVariable()
    {
        var result = await RunToEndAsync(["--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")],
            new Dictionary<string, string?> { ["BUDGET_RUN_BUDGET_KEY"] = "no spaces please" });

        Assert.Contains("BUDGET_RUN_BUDGET_KEY", AssertUsageError(result), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    [Theory]
    [MemberData(nameof(BadWindows))]
    public async Task Run_WithABadWindow_IsAUsageError(string window)
    {
        var result = await RunToEndAsync(["--ledger", "sqlite:" + Scratch.Path("ledger.db"), "--budget-key", Key, "--budget-window", window,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        var line = AssertUsageError(result);
        Assert.Contains("--budget-window", line, StringComparison.Ordinal);
        Assert.Contains($"'{window}'", line, StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task Run_WithAWindowButNoKey_IsAUsageError()
    {
        var result = await RunToEndAsync(["--budget-window", "24h", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        var line = AssertUsageError(result);
        Assert.Contains("--budget-window", line, StringComparison.Ordinal);
        Assert.Contains("--budget-key", line, StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("kill")]
    [InlineData("resume")]
    [InlineData("serve")]
    public async Task Subcommand_WithoutAKey_IsAUsageError(string subcommand)
    {
        var result = await RunToEndAsync([subcommand, "--ledger", "sqlite:" + Scratch.Path("ledger.db"), .. Listen(subcommand)]);

        Assert.Contains("--budget-key", AssertUsageError(result), StringComparison.Ordinal);
        Assert.False(File.Exists(Scratch.Path("ledger.db")), "a ledger was created without a key");
    }

    [Fact]
    public async Task Run_WithABadReservationTtl_IsAUsageError()
    {
        var result = await RunToEndAsync(["--ledger", "sqlite:" + Scratch.Path("ledger.db"), "--budget-key", Key, "--reservation-ttl", "0s",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        Assert.Contains("--reservation-ttl", AssertUsageError(result), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    /// <summary>serve needs --listen; the account subcommands do not take it.</summary>
    private static string[] Listen(string subcommand) => subcommand == "serve" ? ["--listen", "127.0.0.1:0"] : [];

    /// <summary>Exit 2, one line on stderr, no stack trace, nothing on stdout; returns the line.</summary>
    private static string AssertUsageError(ProcessResult result)
    {
        result.AssertExitCode(2);
        Assert.Empty(result.Stdout);
        return result.AssertOneStderrLine();
    }
}
