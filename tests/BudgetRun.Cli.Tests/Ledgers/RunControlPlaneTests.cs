using System.Net;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// The control plane of a run with a budget key: <c>POST /kill {"scope": "fleet"}</c> engages the
/// account's kill switch in the ledger, so every other run of the account stops too (without the
/// scope only that run stops); <c>POST /cost</c> adds to the account; <c>GET /status</c> names it.
/// </summary>
public sealed class RunControlPlaneTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    private readonly string _token = $"Ctl.{Guid.NewGuid():N}-XyZ";

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task PostKill_WithFleetScope_StopsAnotherRunOfTheAccount_AndNewRunsRefuse(LedgerKind kind)
    {
        const string Reason = "fleet stop from the dashboard";
        using var listening = StartSleeper(kind, "a", listen: true);
        using var other = StartSleeper(kind, "b", listen: false);
        using var client = await ControlPlaneClient.ConnectAsync(listening);
        await Wait.ForPidAsync(Scratch.Path("a.pid"), listening);
        await Wait.ForPidAsync(Scratch.Path("b.pid"), other);

        var answer = await client.PostAsync("/kill", $"{{\"scope\": \"fleet\", \"reason\": \"{Reason}\"}}", _token);
        var first = await listening.WaitAsync();
        var second = await other.WaitAsync();

        first.AssertExitCode(77).AssertNoStackTrace();
        second.AssertExitCode(77).AssertNoStackTrace();
        Assert.Contains(Reason, LastLine(second), StringComparison.Ordinal);
        var status = await StatusAsync(kind);
        Assert.True(status.KillSwitch, status.ToString());
        Assert.Equal(Reason, status.KillReason);
        var refused = await RunToEndAsync([.. Budget(kind, 1000, 5), "--", .. Child("--count", Scratch.Path("refused"), "exit", "0")]);
        refused.AssertExitCode(77);
        Assert.Equal(0, Scratch.Count("refused"));
        // As for a kill of one run: 202 the first time, with the reason given.
        answer.AssertStatus(HttpStatusCode.Accepted);
        Assert.Contains(Reason, answer.Json.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task PostKill_WithoutScope_StopsOnlyThatRun_AndLeavesTheAccountOpen(LedgerKind kind)
    {
        using var listening = StartSleeper(kind, "a", listen: true);
        using var other = StartSleeper(kind, "b", listen: false);
        using var client = await ControlPlaneClient.ConnectAsync(listening);
        await Wait.ForPidAsync(Scratch.Path("a.pid"), listening);
        var otherChild = await Wait.ForPidAsync(Scratch.Path("b.pid"), other);

        (await client.PostAsync("/kill", "{\"reason\": \"just this one\"}", _token)).AssertStatus(HttpStatusCode.Accepted);
        var first = await listening.WaitAsync();
        var status = await StatusAsync(kind);
        // Longer than any propagation the fleet kill takes: the other run must still be at work.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        first.AssertExitCode(77);
        Assert.False(status.KillSwitch, status.ToString());
        Assert.False(other.HasExited, $"the other run stopped too\n--- its stderr ---\n{other.StderrSoFar}");
        Assert.True(Posix.IsAlive(otherChild), "the other run's child died");
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task PostCost_AddsTheReportedSpend_ToTheAccount_AndStatusNamesTheAccount(LedgerKind kind)
    {
        using var run = Launch([.. Budget(kind, 1000, 5), "--budget-window", "1h", "--listen", "127.0.0.1:0", "--max-attempts", "1",
            "--kill-grace", "500ms", "--", .. Child("--pid-file", Scratch.Path("a.pid"), "sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = _token });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.ForPidAsync(Scratch.Path("a.pid"), run);

        var cost = await client.PostAsync("/cost", "{\"cents\": 40}", _token);
        var status = await client.StatusAsync();
        var account = await StatusAsync(kind);
        (await client.PostAsync("/kill", null, _token)).AssertStatus(HttpStatusCode.Accepted);
        var result = await run.WaitAsync();
        var settled = await StatusAsync(kind);

        cost.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(Key, status.GetProperty("budgetKey").GetString());
        var ofTheRun = AccountSnapshot.From(status, exactly: false);
        Assert.NotNull(ofTheRun.WindowEndsAt);
        Assert.Equal(account.WindowEndsAt, ofTheRun.WindowEndsAt);
        // The running attempt's 5 cents are reserved, the reported 40 spent.
        Assert.Equal(new AccountSnapshot(Key, 1000, 40, 5, 955, ofTheRun.WindowEndsAt, false, null), account);
        result.AssertExitCode(77);
        Assert.Equal(new AccountSnapshot(Key, 1000, 45, 0, 955, ofTheRun.WindowEndsAt, false, null), settled);
    }

    /// <summary>A run of the account whose child sleeps (pid in NAME.pid), optionally with a control plane and a token.</summary>
    private BudgetRunProcess StartSleeper(LedgerKind kind, string name, bool listen) =>
        Launch([.. Budget(kind, 1000, 5), .. (listen ? new[] { "--listen", "127.0.0.1:0" } : []), "--max-attempts", "1", "--kill-grace", "500ms",
            "--", .. Child("--pid-file", Scratch.Path(name + ".pid"), "sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = _token });
}
