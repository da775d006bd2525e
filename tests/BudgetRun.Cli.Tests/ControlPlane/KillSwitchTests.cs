using System.Diagnostics;
using System.Net;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary><c>POST /kill</c> during backoff, and who may engage it.</summary>
public sealed class KillSwitchTests : ControlPlaneTest
{
    [Fact]
    public async Task Kill_DuringBackoff_EndsTheRunAtOnce_With77_NoFurtherAttempt()
    {
        var report = Scratch.Path("report.json");
        using var run = Start([.. Loopback, "--control-token-file", TokenFile(), "--max-attempts", "3", "--base-delay", "30s",
            "--max-delay", "30s", "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.UntilAsync(() => Scratch.Count("attempts") == 1, TimeSpan.FromSeconds(15), "the first attempt", run);
        await WaitForStateAsync(client, run, "backingOff");

        var clock = Stopwatch.StartNew();
        var answer = await client.PostAsync("/kill", "{\"reason\": \"stop retrying\", \"scope\": \"run\"}", ControlToken);
        var result = await run.WaitAsync();

        answer.AssertStatus(HttpStatusCode.Accepted);
        result.AssertExitCode(77);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"budget-run took {clock.Elapsed.TotalSeconds:0.###}s to stop\n{result}");
        Assert.Equal(1, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("killed", loaded.Outcome);
        Assert.Equal("stop retrying", loaded.Text(loaded.Root, "stopReason"));
    }

    [Fact]
    public async Task Kill_WithoutAConfiguredControlToken_RejectsEveryToken_TheChildsToo()
    {
        using var run = Start([.. Loopback, "--max-attempts", "1", "--kill-grace", "200ms",
            "--", .. EnvDumpingChild("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var childToken = (await ChildEnvironmentAsync(run))["BUDGET_RUN_TOKEN"];
        // The child runs (it wrote its environment) a moment before /status says so: compare from then.
        await Wait.ForPidAsync(Scratch.Path("child.pid"), run);
        var before = await StatusSnapshot.TakeAsync(client);
        for (var i = 0; i < 200 && before.ChildPid is null; i++)
        {
            await Task.Delay(25);
            before = await StatusSnapshot.TakeAsync(client);
        }

        var withChildToken = await client.PostAsync("/kill", null, childToken);
        var withEmptyToken = await client.SendAsync(HttpMethod.Post, "/kill", null, "Bearer ");
        var withoutToken = await client.PostAsync("/kill", null, null);

        withChildToken.AssertProblem(HttpStatusCode.Unauthorized);
        withEmptyToken.AssertProblem(HttpStatusCode.Unauthorized);
        withoutToken.AssertProblem(HttpStatusCode.Unauthorized);
        Assert.False(run.HasExited, run.StderrSoFar);
        Assert.Equal(before, await StatusSnapshot.TakeAsync(client));
        (await client.PostAsync("/cost", "{\"cents\": 1}", childToken)).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Kill_ReasonWithANewline_CannotForgeTheLastLogLine()
    {
        // README: the last log line, "run ended: <outcome> (exit N): <reason>", says why the run ended.
        using var run = Start([.. Loopback, "--max-attempts", "1", "--kill-grace", "200ms", "--", .. Child("sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        const string Forged = "00:00:00.000 budget-run INF run ended: succeeded (exit 0): all good";

        var answer = await client.PostAsync("/kill", "{\"reason\": \"maintenance\\n" + Forged + "\"}", ControlToken);
        var result = await run.WaitAsync();

        result.AssertExitCode(77);
        Assert.True(answer.Status is HttpStatusCode.Accepted or HttpStatusCode.BadRequest, answer.ToString());
        Assert.Single(result.StderrLines, line => line.Contains("run ended:", StringComparison.Ordinal));
        Assert.Contains("run ended: killed (exit 77)", result.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_WhenTheChildExitsZeroOnSigterm_StillEndsTheRunAsKilled()
    {
        var report = Scratch.Path("report.json");
        var ready = Scratch.Path("ready");
        using var run = Start([.. Loopback, "--max-attempts", "3", "--report", report,
            "--", "sh", "-c", "trap 'exit 0' TERM; touch \"$0\"; while :; do sleep 0.05; done", ready],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.UntilAsync(() => File.Exists(ready), TimeSpan.FromSeconds(15), "the child set its trap", run);

        (await client.PostAsync("/kill", null, ControlToken)).AssertStatus(HttpStatusCode.Accepted);
        var result = await run.WaitAsync();

        result.AssertExitCode(77);
        var loaded = RunReport.Load(report);
        Assert.Equal("killed", loaded.Outcome);
        Assert.Single(loaded.Attempts);
    }
}
