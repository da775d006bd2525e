using System.Diagnostics;
using System.Net;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// <c>POST /kill</c> on a child that ignores SIGTERM: SIGKILL after <c>--kill-grace</c>, no further
/// attempt, exit 77, the reason in the last log line and the report. Timed, so serial.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class KillSwitchTimingTests : ControlPlaneTest
{
    private static readonly TimeSpan _grace = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Kill_StopsAChildThatIgnoresSigterm_AfterTheGrace_NoFurtherAttempt_Exits77()
    {
        const string Reason = "runaway loop in job 42";
        var report = Scratch.Path("report.json");
        var pidFile = Scratch.Path("child.pid");
        using var run = Start([.. Loopback, "--control-token-file", TokenFile(), "--max-attempts", "3", "--base-delay", "10ms",
            "--kill-grace", "500ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "--pid-file", pidFile, "ignore-sigterm", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var child = await Wait.ForPidAsync(pidFile, run);

        var clock = Stopwatch.StartNew();
        var first = await client.PostAsync("/kill", $"{{\"reason\": \"{Reason}\"}}", ControlToken);
        var second = await client.PostAsync("/kill", "{\"reason\": \"a second opinion\"}", ControlToken);
        var status = await client.StatusAsync();
        var health = await client.GetAsync("/healthz");
        var metrics = await client.MetricsAsync();
        var dead = await Wait.ForDeathAsync(child, _grace + TimeSpan.FromSeconds(5));
        var diedAfter = clock.Elapsed;
        var result = await run.WaitAsync();

        first.AssertStatus(HttpStatusCode.Accepted);
        Assert.True(Field(first.Json, "killSwitch").GetBoolean(), first.ToString());
        Assert.Equal(Reason, Field(first.Json, "reason").GetString());
        second.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(Reason, Field(second.Json, "reason").GetString());
        Assert.True(Field(status, "killSwitch").GetBoolean(), status.ToString());
        Assert.Equal(Reason, Field(status, "killReason").GetString());
        health.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("unhealthy", Field(health.Json, "status").GetString());
        Assert.Equal(1, metrics.Value("budget_run_kill_switch_engaged"));

        Assert.True(dead, $"the child {child} that ignores SIGTERM was still alive {diedAfter.TotalSeconds:0.###}s after POST /kill\n{result}");
        Assert.True(diedAfter >= _grace - TimeSpan.FromMilliseconds(50),
            $"the child died {diedAfter.TotalMilliseconds:0}ms after POST /kill, before the {_grace.TotalMilliseconds}ms grace: it was not given SIGTERM first\n{result}");
        result.AssertExitCode(77).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        var last = result.StderrLines[^1];
        Assert.Contains(Reason, last, StringComparison.Ordinal);
        var loaded = RunReport.Load(report);
        Assert.Equal("killed", loaded.Outcome);
        Assert.Equal(77, loaded.ExitCode);
        Assert.Equal(Reason, loaded.Text(loaded.Root, "stopReason"));
        var attempt = Assert.Single(loaded.Attempts);
        Assert.Equal("killed", loaded.Text(attempt, "outcome"));
        Assert.Equal(Posix.SIGKILL, loaded.Number(attempt, "signal"));
    }

    [Fact]
    public async Task Kill_WhileTheChildRuns_ShowsStopping_UntilTheChildIsDead()
    {
        var pidFile = Scratch.Path("child.pid");
        using var run = Start([.. Loopback, "--max-attempts", "2", "--kill-grace", "2s",
            "--", .. Child("--pid-file", pidFile, "ignore-sigterm", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var child = await Wait.ForPidAsync(pidFile, run);

        (await client.PostAsync("/kill", null, ControlToken)).AssertStatus(HttpStatusCode.Accepted);
        var status = await client.StatusAsync();
        var alive = Posix.IsAlive(child);
        var result = await run.WaitAsync();

        Assert.True(alive, "the child that ignores SIGTERM died within the 2s grace");
        Assert.Equal("stopping", Field(status, "state").GetString());
        Assert.Equal(child, Field(status, "childPid").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(Field(status, "killReason").GetString()), status.ToString());
        result.AssertExitCode(77);
        Assert.Contains("killed (exit 77)", result.StderrLines[^1], StringComparison.Ordinal);
    }
}
