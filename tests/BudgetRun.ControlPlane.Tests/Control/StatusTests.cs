using System.Net;
using System.Text.Json;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;
using BudgetRun.Engine;

namespace BudgetRun.ControlPlane.Tests.Control;

/// <summary><c>GET /status</c> of a run: the README's fields, and a 503 problem whenever the ledger cannot be read.</summary>
public sealed class StatusTests
{
    private static readonly string[] _fields =
    [
        "state", "workload", "attempt", "maxAttempts", "spentCents", "reservedCents", "budgetCents", "remainingCents",
        "nextAttemptAt", "killSwitch", "killReason", "childPid", "budgetKey", "windowEndsAt",
    ];

    [Fact]
    public async Task Status_WhileAnAttemptRuns_Answers200WithEveryFieldOfTheRun()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 1000, attemptCents: 100);
        var spend = await plane.Budget.ReserveAttemptAsync();
        plane.State.Status.PhaseChanged(RunPhase.Running);
        plane.State.Status.AttemptStarted(1, 4242);

        var answer = await plane.Client.GetAsync("/status");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("application/json", answer.MediaType);
        Assert.Equal("no-store", answer.Headers["Cache-Control"]);
        var status = answer.Json;
        Assert.Equal(_fields.Order(), status.EnumerateObject().Select(property => property.Name).Order());
        Assert.Equal("running", status.GetProperty("state").GetString());
        Assert.Equal(PlaneHost.Workload, status.GetProperty("workload").GetString());
        Assert.Equal(1, status.GetProperty("attempt").GetInt32());
        Assert.Equal(RunPlane.MaxAttempts, status.GetProperty("maxAttempts").GetInt32());
        Assert.Equal((0, 100, 1000, 900), (status.GetProperty("spentCents").GetInt64(), status.GetProperty("reservedCents").GetInt64(),
            status.GetProperty("budgetCents").GetInt64(), status.GetProperty("remainingCents").GetInt64()));
        Assert.Equal(4242, status.GetProperty("childPid").GetInt32());
        Assert.Equal(JsonValueKind.False, status.GetProperty("killSwitch").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("killReason").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("nextAttemptAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("budgetKey").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("windowEndsAt").ValueKind);
        Assert.NotNull(spend);
    }

    [Fact]
    public async Task Status_WhileBackingOff_ShowsTheNextAttemptAndNoChild()
    {
        await using var plane = await RunPlane.StartAsync();
        var next = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        plane.State.Status.AttemptStarted(1, 4242);
        plane.State.Status.AttemptEnded(new AttemptRecord(1, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), AttemptKind.Failure, 1, null, 100, TimeSpan.Zero));
        plane.State.Status.BackingOff(TimeSpan.FromSeconds(30), next);
        plane.State.Status.PhaseChanged(RunPhase.BackingOff);

        var status = await plane.Client.StatusAsync();

        Assert.Equal("backingOff", status.GetProperty("state").GetString());
        Assert.Equal(next, status.GetProperty("nextAttemptAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("childPid").ValueKind);
    }

    [Fact]
    public async Task Status_WithABudgetKey_NamesTheAccountAndTheEndOfItsWindow()
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);
        var windowEnd = new DateTimeOffset(2030, 1, 3, 0, 0, 0, TimeSpan.Zero);
        plane.Account!.WindowEndsAt = windowEnd;

        var status = await plane.Client.StatusAsync();

        Assert.Equal(RunPlane.BudgetKey, status.GetProperty("budgetKey").GetString());
        Assert.Equal(windowEnd, status.GetProperty("windowEndsAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Status_OnceKilled_ShowsTheKillSwitchAndItsReason()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Control.RequestStop(StopReason.KillSwitch, "runaway spend");

        var status = await plane.Client.StatusAsync();

        Assert.Equal(JsonValueKind.True, status.GetProperty("killSwitch").ValueKind);
        Assert.Equal("runaway spend", status.GetProperty("killReason").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Status_WhenTheLedgerIsDown_Answers503ProblemNamingTheLedger(bool withBudgetKey)
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: withBudgetKey);
        plane.Switch.Mode = LedgerMode.Down;

        var answer = await plane.Client.GetAsync("/status");

        answer.AssertLedgerUnavailable();
    }

    [Fact]
    public async Task Status_WhenTheLedgerIsSlow_Answers200OnceTheLedgerDoes()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Slow;
        plane.Switch.Delay = TimeSpan.FromMilliseconds(400);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var answer = await plane.Client.GetAsync("/status");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(380), $"answered after {clock.ElapsedMilliseconds} ms, before the ledger did");
    }

    [Fact]
    public async Task Status_WhenTheLedgerTimesOut_Answers503Problem()
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);
        plane.Switch.Mode = LedgerMode.TimingOut;

        var answer = await plane.Client.GetAsync("/status");

        answer.AssertLedgerUnavailable();
        Assert.Contains("no answer within", answer.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_AfterTheLedgerIsBack_Answers200Again()
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);
        plane.Switch.Mode = LedgerMode.Down;
        (await plane.Client.GetAsync("/status")).AssertLedgerUnavailable();

        plane.Switch.Mode = LedgerMode.Up;
        var answer = await plane.Client.GetAsync("/status");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(1000, answer.Json.GetProperty("remainingCents").GetInt64());
    }
}
