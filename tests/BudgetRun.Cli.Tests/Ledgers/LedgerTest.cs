using System.Globalization;
using BudgetRun.Cli.Tests.Infrastructure;
using Xunit.Sdk;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Base of the persistent-budget tests: an account key of its own per test, a SQLite file in the
/// test's scratch directory, the class's redis-server or the assembly's PostgreSQL, and runs whose
/// environment holds none of the host's budget-run or PostgreSQL client variables and whose
/// <c>XDG_STATE_HOME</c> is the test's own, so that no test ever touches the default ledger of the
/// machine or of another test.
/// </summary>
public abstract class LedgerTest : CliTest
{
    /// <summary>Variables budget-run reads that the test host might have set; removed from every run.</summary>
    private static readonly string[] _hostVariables =
    [
        "BUDGET_RUN_LEDGER", "BUDGET_RUN_BUDGET_KEY", "BUDGET_RUN_REDIS_PASSWORD", "BUDGET_RUN_LISTEN",
        "BUDGET_RUN_CONTROL_TOKEN", "BUDGET_RUN_PUSHGATEWAY", "BUDGET_RUN_URL", "BUDGET_RUN_TOKEN",
        "PGPASSWORD", "PGPASSFILE", "PGUSER",
    ];

    /// <summary>Any other PG* variable of the host (libpq's and Npgsql's: host, TLS files, options...), removed too.</summary>
    private static readonly string[] _hostPostgresVariables = [.. Environment.GetEnvironmentVariables().Keys.Cast<string>()
        .Where(name => name.StartsWith("PG", StringComparison.Ordinal))];

    private readonly RedisFixture? _redis;
    private PostgresServer? _postgres;

    private protected LedgerTest(RedisFixture? redis)
    {
        _redis = redis;
    }

    /// <summary>This test's account, shaped like the README's <c>queue-worker/openai</c>.</summary>
    private protected string Key { get; } = $"tests/{Guid.NewGuid():N}";

    /// <summary>The test's <c>XDG_STATE_HOME</c>: the default SQLite ledger lands under it.</summary>
    private protected string StateHome => Scratch.Path("state");

    /// <summary>The default SQLite ledger of a run with the test's environment and no <c>--ledger</c>.</summary>
    private protected string DefaultLedgerFile => Path.Combine(StateHome, "budget-run", "ledger.db");

    private protected RedisServer Redis => (_redis ?? throw new InvalidOperationException("this test class has no RedisFixture")).Server;

    /// <summary>The assembly's PostgreSQL server; once a test names it, its runs get the password in <c>PGPASSWORD</c>.</summary>
    private protected PostgresServer Postgres => _postgres ??= SharedPostgres.Server;

    /// <summary>The <c>--ledger</c> value of <paramref name="kind"/>.</summary>
    private protected string Ledger(LedgerKind kind) => kind switch
    {
        LedgerKind.Sqlite => "sqlite:" + Scratch.Path("ledger.db"),
        LedgerKind.Redis => Redis.Uri,
        LedgerKind.Postgres => Postgres.Uri,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary><c>--ledger L --budget-key K</c> for <paramref name="kind"/> and this test's key (or <paramref name="key"/>).</summary>
    private protected string[] Account(LedgerKind kind, string? key = null) => ["--ledger", Ledger(kind), "--budget-key", key ?? Key];

    /// <summary>A budget-run whose account costs <paramref name="costPerAttempt"/> cents an attempt out of <paramref name="limit"/>.</summary>
    private protected string[] Budget(LedgerKind kind, long limit, long costPerAttempt) =>
        [.. Account(kind), "--max-cost-cents", Cents(limit), "--cost-per-attempt-cents", Cents(costPerAttempt)];

    /// <summary>The host environment cleared of budget-run's and PostgreSQL's variables, with the test's state home (and PostgreSQL's password once the test used it), plus <paramref name="extra"/>.</summary>
    private protected Dictionary<string, string?> CleanEnvironment(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = _hostVariables.Union(_hostPostgresVariables).ToDictionary(name => name, _ => (string?)null);
        environment["XDG_STATE_HOME"] = StateHome;
        if (_postgres is not null)
        {
            environment["PGPASSWORD"] = _postgres.Password;
        }
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }
        return environment;
    }

    private protected BudgetRunProcess Launch(string[] args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        BudgetRunProcess.Start(args, new RunSettings
        {
            Environment = CleanEnvironment(environment),
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        });

    private protected async Task<ProcessResult> RunToEndAsync(string[] args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        using var run = Launch(args, environment, timeout);
        return await run.WaitAsync();
    }

    /// <summary><c>budget-run status --json</c> of this test's account, which must exit 0 with the contract's JSON and nothing else.</summary>
    private protected async Task<AccountSnapshot> StatusAsync(LedgerKind kind, string? key = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var result = await RunToEndAsync(["status", .. Account(kind, key), "--json"], environment);
        result.AssertExitCode(0).AssertNoStackTrace();
        return AccountSnapshot.Parse(result.StdoutText, exactly: true);
    }

    /// <summary><c>budget-run kill|resume</c> of this test's account; returns the result, whatever the exit code.</summary>
    private protected Task<ProcessResult> AdministerAsync(LedgerKind kind, string subcommand, params string[] more) =>
        RunToEndAsync([subcommand, .. Account(kind), .. more]);

    /// <summary>The <c>run ended: ...</c> line, which budget-run writes last.</summary>
    private protected static string LastLine(ProcessResult result) =>
        result.StderrLines.Length > 0 ? result.StderrLines[^1] : throw new XunitException($"budget-run wrote nothing to stderr\n{result}");

    private protected static string Cents(long cents) => cents.ToString(CultureInfo.InvariantCulture);
}
