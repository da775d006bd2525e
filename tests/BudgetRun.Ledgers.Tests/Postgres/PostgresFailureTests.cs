using System.Diagnostics;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using Npgsql;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Postgres;

/// <summary>
/// The PostgreSQL ledger when the server goes away or stalls: each test owns its server, so it can
/// stop it as a crash does (<c>pg_ctl stop -m immediate</c>), start it again, or hold a row lock from
/// another connection. Fails closed with one line naming the ledger (never the password), counts
/// every failure, recovers by itself, and never charges a reservation twice.
/// </summary>
public sealed class PostgresFailureTests(ITestOutputHelper output)
{
    private const string Key = "queue-worker/openai";
    private readonly List<LedgerFault> _faults = [];

    [Fact]
    public async Task ServerStoppedMidRun_FailsClosed_AndAfterARestartSettlesWithoutDoubleCharge()
    {
        await using var server = await PostgresServer.StartAsync();
        await using var ledger = await OpenAsync(server);
        IBudgetLedger engine = ledger;
        var done = await ledger.ReserveAsync(7, default);
        await ledger.SettleByIdAsync(done.Id!, 7, default);
        var running = (await engine.TryReserveAsync(7, default))!; // an attempt whose child is still running

        server.Stop();

        var refused = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.TryReserveAsync(7, default));
        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.SettleAsync(running, 7, default));
        var atStart = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await OpenAsync(server));
        output.WriteLine(refused.Message);
        output.WriteLine(atStart.Message);
        Assert.StartsWith($"ledger {server.Uri} is unavailable: ", refused.Message, StringComparison.Ordinal);
        Assert.Equal($"ledger {server.Uri} is unavailable: cannot connect to the server (connection refused)", atStart.Message);
        Assert.DoesNotContain(server.Password, refused.ToString(), StringComparison.Ordinal);
        Assert.True(_faults.Count >= 3 && ledger.FaultCount >= 2, $"faults: {_faults.Count}, counted: {ledger.FaultCount}");

        await server.RestartAsync();
        await WaitUntilReachableAsync(ledger);

        Assert.Equal((7L, 7L), Numbers(await ledger.StatusAsync(default))); // nothing lost, nothing doubled
        await engine.SettleAsync(running, 7, default); // the settle that failed, retried
        await engine.SettleAsync(running, 7, default); // and retried once more: no second charge
        Assert.Equal(SettleOutcome.AlreadySettled, await ledger.SettleByIdAsync(running.Id, 7, default));
        Assert.Equal((14L, 0L), Numbers(await ledger.StatusAsync(default)));
        var history = await ledger.HistoryAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue.AddDays(-1), null, 10_000, default);
        Assert.Equal((14L, 0L), (history.Sum(e => e.SpentDeltaCents), history.Sum(e => e.ReservedDeltaCents))); // no entry lost or doubled
    }

    [Fact]
    public async Task ReservationStuckBehindARowLock_TimesOut_AndIsCancelledOnceTheLockIsGone()
    {
        // A slow server: another session holds the bucket's row. The request may still run when the
        // lock goes, and the caller started nothing, so that reservation must not be charged.
        await using var server = await PostgresServer.StartAsync();
        await using var ledger = await OpenAsync(server);
        IBudgetLedger engine = ledger;
        await engine.SettleAsync((await engine.TryReserveAsync(7, default))!, 7, default);

        await using (var blocker = await HoldRowsAsync(server, "SELECT 1 FROM budget_run.buckets WHERE key = @key FOR UPDATE"))
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.TryReserveAsync(7, default));
            output.WriteLine($"{error.Message} (after {clock.Elapsed.TotalMilliseconds:0} ms)");
            Assert.Equal($"ledger {server.Uri} is unavailable: no answer from the server within 1s", error.Message);
            Assert.Equal(1, ledger.UnfinishedCount);
        }

        Assert.Equal(0, await engine.FinishUnfinishedAsync(default));
        Assert.Equal((7L, 0L), Numbers(await ledger.StatusAsync(default)));
        Assert.NotNull(await engine.TryReserveAsync(93, default)); // all the rest is still there
    }

    [Fact]
    public async Task SettleStuckBehindARowLock_FailsClosed_AndCountsOnceWhenRetried()
    {
        await using var server = await PostgresServer.StartAsync();
        await using var ledger = await OpenAsync(server);
        IBudgetLedger engine = ledger;
        var running = (await engine.TryReserveAsync(7, default))!;

        await using (var blocker = await HoldRowsAsync(server, "SELECT 1 FROM budget_run.reservations WHERE key = @key FOR UPDATE"))
        {
            var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.SettleAsync(running, 7, default));
            Assert.Contains("no answer from the server within 1s", error.Message, StringComparison.Ordinal);
        }
        await engine.SettleAsync(running, 7, default); // the caller's retry
        await engine.SettleAsync(running, 7, default); // and once more

        Assert.Equal((7L, 0L), Numbers(await ledger.StatusAsync(default)));
    }

    [Fact]
    public async Task WrongPassword_FailsClosed_WithoutShowingThePassword_AndThePassFileWorks()
    {
        await using var server = await PostgresServer.StartAsync("correct-horse-battery");

        var wrong = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await OpenAsync(server, password: "wrong-staple-1234"));
        var none = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await OpenAsync(server, password: null));
        await using var fromVariable = await OpenAsync(server, password: "correct-horse-battery");
        await using var fromFile = await OpenAsync(server, password: null, passFile: server.WritePassFile());

        output.WriteLine(wrong.Message);
        output.WriteLine(none.Message);
        Assert.Equal($"ledger {server.Uri} is unavailable: the server refused the password of user 'budget' (check PGPASSWORD or the .pgpass file)",
            wrong.Message);
        Assert.Equal($"ledger {server.Uri} is unavailable: the server asks for a password and none was given (set PGPASSWORD or a .pgpass file, PGPASSFILE)",
            none.Message);
        Assert.DoesNotContain("wrong-staple", wrong.ToString(), StringComparison.Ordinal);
        Assert.All(_faults, fault => Assert.DoesNotContain("wrong-staple", fault.Message, StringComparison.Ordinal));
        Assert.Equal(ReserveStatus.Reserved, (await fromVariable.ReserveAsync(7, default)).Status);
        Assert.Equal(7, (await fromFile.StatusAsync(default)).ReservedCents);
    }

    [Fact]
    public async Task NoServer_FailsClosedAtOpen_Quickly()
    {
        await using var server = await PostgresServer.StartAsync();
        server.Stop();

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await OpenAsync(server));

        output.WriteLine($"{error.Message} (after {clock.Elapsed.TotalMilliseconds:0} ms)");
        Assert.Equal($"ledger {server.Uri} is unavailable: cannot connect to the server (connection refused)", error.Message);
        Assert.Equal("open", Assert.Single(_faults).Operation.DisplayName());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WatchDuringAnOutage_NeverEngagesTheSwitch_AndSeesAKillAfterwardsWithinOneSecond()
    {
        await using var server = await PostgresServer.StartAsync();
        await using var runner = await OpenAsync(server, poll: TimeSpan.FromSeconds(30)); // so only the push can be this fast
        var seen = new List<KillSwitchState>();
        var engaged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.KillSwitchChanged += (_, state) =>
        {
            lock (seen)
            {
                seen.Add(state);
            }
            if (state.Engaged)
            {
                engaged.TrySetResult();
            }
        };
        await using var watch = await runner.WatchKillSwitchAsync(default);

        server.Stop();
        await Task.Delay(TimeSpan.FromMilliseconds(700), TimeProvider.System);
        Assert.Empty(seen);

        await server.RestartAsync();
        await WaitUntilReachableAsync(runner);
        await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System); // the listener's reconnect
        await using var admin = await OpenAsync(server);
        var clock = Stopwatch.StartNew();
        await admin.KillAsync("after the outage", default);
        await engaged.Task.WaitAsync(TimeSpan.FromSeconds(1));
        output.WriteLine($"kill seen {clock.Elapsed.TotalMilliseconds:0} ms after it was engaged, following a reconnect");
    }

    private async Task<AccountLedger> OpenAsync(PostgresServer server, string? password = "", string? passFile = null, TimeSpan? poll = null)
    {
        // "" stands for the server's own password.
        var secret = password == "" ? server.Password : password;
        var location = LedgerUriParser.Parse(server.Uri, name => name switch
        {
            LedgerUriParser.PostgresPasswordVariable => secret,
            LedgerUriParser.PostgresPassFileVariable => passFile ?? "/nonexistent/pgpass",
            _ => null,
        });
        var options = new LedgerOptions { PostgresTimeout = TimeSpan.FromSeconds(1), KillSwitchPollInterval = poll, OnFault = Record };
        return await LedgerFactory.OpenAsync(location, new LedgerAccount(Key, 100, BudgetWindow.None), RunIdentity.ForCurrentProcess(), options);
    }

    /// <summary>Another session that locks the rows <paramref name="lockingQuery"/> selects until it is disposed (then rolls back).</summary>
    private static async Task<NpgsqlConnection> HoldRowsAsync(PostgresServer server, string lockingQuery)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = server.Port,
            Username = PostgresServer.User,
            Password = server.Password,
            Database = PostgresServer.Database,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        await using var begin = new NpgsqlCommand("BEGIN", connection);
        await begin.ExecuteNonQueryAsync();
        await using var hold = new NpgsqlCommand(lockingQuery, connection);
        hold.Parameters.AddWithValue("key", Key);
        await hold.ExecuteNonQueryAsync();
        return connection;
    }

    private static async Task WaitUntilReachableAsync(AccountLedger ledger)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ledger.StatusAsync(default);
                return;
            }
            catch (LedgerUnavailableException) when (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
            }
        }
    }

    private static (long Spent, long Reserved) Numbers(AccountStatus status) => (status.SpentCents, status.ReservedCents);

    private void Record(LedgerFault fault)
    {
        lock (_faults)
        {
            _faults.Add(fault);
        }
    }
}
