using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>--health-cmd</c> and <c>--health-url</c> against the real binary: a child that hangs is
/// stopped by its failing checks (outcome <c>unhealthy</c>, a failed attempt), a healthy one is left
/// alone, the start period, a check that overruns its timeout (killed), a real HTTP server that
/// turns unhealthy, what a check's environment holds, and every bad value.
/// </summary>
public sealed class HealthCheckTests : CliTest
{
    private static readonly string[] Fast = ["--base-delay", "10ms", "--max-delay", "20ms", "--kill-grace", "2s"];

    [Fact]
    public async Task AChildThatHangs_IsStoppedByItsFailingChecks_AndRetried()
    {
        // The child keeps a heartbeat file fresh for a moment, then hangs; the check wants it fresh.
        var beat = Scratch.Path("beat");
        var report = Scratch.Path("run.json");
        var result = await RunAsync(["--max-attempts", "2", .. Fast, "--report", report,
            "--health-cmd", $"test -e '{beat}'", "--health-interval", "200ms", "--health-retries", "2",
            "--", "sh", "-c", $"touch '{beat}'; sleep 1; rm -f '{beat}'; exec sleep 60"]);

        result.AssertExitCode(143).AssertNoStackTrace().AssertFasterThan(TimeSpan.FromSeconds(20));
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        Assert.All(loaded.Attempts, attempt =>
        {
            Assert.Equal("unhealthy", loaded.Text(attempt, "outcome"));
            Assert.InRange(loaded.Number(attempt, "durationMs"), 1000, 10_000);
        });
        Assert.Contains("attempt 1's health check failed (1 of 2 in a row): exit code 1", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("attempt 1 is unhealthy after 2 failed health checks in a row (exit code 1): stopping it", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("all 2 attempts failed; the last ended with failed health checks (stopped, 143)", result.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHealthyChild_IsLeftAlone()
    {
        var result = await RunAsync(["--max-attempts", "1", .. Fast, "--health-cmd", "true", "--health-interval", "100ms", "--health-retries", "1",
            "--", "sleep", "1.5"]);

        result.AssertExitCode(0);
        Assert.DoesNotContain("health check", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoRetryOnUnhealthy_EndsTheRunAtTheFirstUnhealthyAttempt()
    {
        var result = await RunAsync(["--max-attempts", "3", .. Fast, "--no-retry-on", "unhealthy", "--health-cmd", "false", "--health-interval", "100ms", "--health-retries", "1",
            "--", "sleep", "60"]);

        result.AssertExitCode(143);
        Assert.Contains("notRetryable", result.StderrLines[^1], StringComparison.Ordinal);
        Assert.Single(result.StderrLines, line => line.Contains("started: pid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailuresWithinTheStartPeriod_DoNotCount_AndAHealthyCheckEndsIt()
    {
        // Healthy only after 1 s: with a start period of 3 s the early failures do not count; once it
        // was healthy, it runs to its end.
        var ready = Scratch.Path("ready");
        string[] child = ["--", "sh", "-c", $"sleep 1; touch '{ready}'; sleep 1.5; exit 0"];
        var tolerant = await RunAsync(["--max-attempts", "1", .. Fast, "--health-cmd", $"test -e '{ready}'", "--health-interval", "200ms",
            "--health-retries", "1", "--health-start-period", "3s", .. child]);

        tolerant.AssertExitCode(0);
        Assert.Contains("attempt 1's health check failed within the start period of 3s, which does not count: exit code 1", tolerant.Stderr, StringComparison.Ordinal);
        Assert.Contains("attempt 1 is healthy", tolerant.Stderr, StringComparison.Ordinal);

        File.Delete(ready);
        var strict = await RunAsync(["--max-attempts", "1", .. Fast, "--health-cmd", $"test -e '{ready}'", "--health-interval", "200ms",
            "--health-retries", "1", .. child]);
        strict.AssertExitCode(143);
        Assert.Contains("the only attempt allowed failed with failed health checks (stopped, 143)", strict.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACheckThatOverrunsItsTimeout_FailsAndIsKilledWithItsGroup()
    {
        var marker = MarkedProcesses.NewMarker();
        var result = await RunAsync(["--max-attempts", "1", .. Fast, "--health-cmd", $"sleep 70.{marker} & exec sleep 71.{marker}", "--health-interval", "100ms",
            "--health-timeout", "300ms", "--health-retries", "2", "--", "sleep", "60"]);

        result.AssertExitCode(143).AssertFasterThan(TimeSpan.FromSeconds(15));
        Assert.Contains("attempt 1's health check failed (1 of 2 in a row): no answer within 300ms", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(MarkedProcesses.Alive(marker));
    }

    [Fact]
    public async Task AnHttpServerThatTurnsUnhealthy_IsStopped_AndOneNotListeningIsUnhealthyToo()
    {
        // A real HTTP server as the child: 200 for its first three requests, 503 after.
        var port = Ports.FreeLoopback();
        var server = Scratch.Write("server.py", $$"""
            import http.server
            count = 0
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    global count
                    count += 1
                    self.send_response(200 if count <= 3 else 503)
                    self.end_headers()
                def log_message(self, *args):
                    pass
            http.server.HTTPServer(("127.0.0.1", {{port}}), Handler).serve_forever()
            """);
        var result = await RunAsync(["--max-attempts", "1", .. Fast, "--health-url", $"http://127.0.0.1:{port}/healthz", "--health-interval", "200ms",
            "--health-retries", "2", "--health-start-period", "5s", "--", "python3", server]);

        result.AssertExitCode(143).AssertFasterThan(TimeSpan.FromSeconds(20));
        Assert.Contains("attempt 1's health check failed (1 of 2 in a row): HTTP 503", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("attempt 1 is unhealthy after 2 failed health checks in a row (HTTP 503)", result.Stderr, StringComparison.Ordinal);

        var nobody = Ports.FreeLoopback();
        var refused = await RunAsync(["--max-attempts", "1", .. Fast, "--health-url", $"http://127.0.0.1:{nobody}/", "--health-interval", "100ms",
            "--health-retries", "1", "--", "sleep", "60"]);
        refused.AssertExitCode(143);
        Assert.Contains("(connection refused or unreachable): stopping it", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACheck_KnowsTheChildsPidAndAttempt_ButNeverHoldsATokenOrBudgetRunsSecrets()
    {
        var seen = Scratch.Path("seen");
        var pidFile = Scratch.Path("pid");
        var result = await BudgetRunProcess.RunAsync(["--listen", "127.0.0.1:0", "--max-attempts", "1", .. Fast,
                // Written aside and renamed: a check still running when the attempt ends is killed,
                // and one killed between `>`'s truncation and the echo would leave the file empty.
                "--health-cmd", $"echo \"pid=$BUDGET_RUN_CHILD_PID attempt=$BUDGET_RUN_ATTEMPT token=${{BUDGET_RUN_TOKEN-unset}} control=${{BUDGET_RUN_CONTROL_TOKEN-unset}}\" > '{seen}'.$$ && mv '{seen}'.$$ '{seen}'",
                "--health-interval", "100ms", "--", "sh", "-c", $"echo $$ > '{pidFile}'; echo \"child token=${{BUDGET_RUN_TOKEN:+set}}\"; sleep 1"],
            new RunSettings { Environment = new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = "control-token-0123456789-secret" } });

        result.AssertExitCode(0);
        Assert.Equal("child token=set\n", result.StdoutText);
        Assert.Equal($"pid={File.ReadAllText(pidFile).Trim()} attempt=1 token=unset control=unset", File.ReadAllText(seen).Trim());
    }

    [Theory]
    [InlineData(new[] { "--health-interval", "1s" }, "--health-interval: there is no health check to time; give --health-cmd or --health-url")]
    [InlineData(new[] { "--health-retries", "2" }, "--health-retries: there is no health check to time")]
    [InlineData(new[] { "--health-cmd", "true", "--health-url", "http://127.0.0.1:1/" }, "--health-cmd and --health-url: give one health check, not both")]
    [InlineData(new[] { "--health-cmd", "  " }, "--health-cmd: the command is empty")]
    [InlineData(new[] { "--health-url", "ftp://example.org/" }, "--health-url: 'ftp://example.org/' is not an http:// or https:// URL")]
    [InlineData(new[] { "--health-url", "localhost:8080" }, "--health-url: 'localhost:8080' is not an http:// or https:// URL")]
    [InlineData(new[] { "--health-cmd", "true", "--health-retries", "0" }, "--health-retries")]
    [InlineData(new[] { "--health-cmd", "true", "--health-retries", "101" }, "--health-retries")]
    [InlineData(new[] { "--health-cmd", "true", "--health-timeout", "0s" }, "--health-timeout: '0s' must be greater than zero")]
    [InlineData(new[] { "--health-cmd", "true", "--health-interval", "soon" }, "--health-interval: 'soon' is not a duration")]
    [InlineData(new[] { "--retry-on", "1,healthy" }, "--retry-on: '1,healthy' is not a list of exit codes from 1 to 255, oom or unhealthy")]
    public async Task BadValues_AreOneLineUsageErrors_AndNothingStarts(string[] flags, string message)
    {
        var marker = Scratch.Path("started");
        var result = await RunAsync([.. flags, "--", "sh", "-c", $"touch '{marker}'"]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Contains(message, result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }
}
