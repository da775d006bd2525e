using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// <c>POST /retry</c> from a real 429-style child with curl: <c>after</c> makes the next wait at
/// least that long (asserted from the report's timestamps), <c>retry: false</c> ends the run as
/// not retryable with the child's reason, and bad bodies are 400 problem+json.
/// </summary>
public sealed class RetryTests : CliTest
{
    [Fact]
    public async Task ChildPushBack_LengthensTheWait_ThenEndsTheRun_AndBadBodiesAre400()
    {
        var report = Scratch.Path("run.json");
        var codes = Scratch.Path("codes");
        var script = Scratch.Write("child.sh", $$"""
            post() { curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $BUDGET_RUN_TOKEN" -d "$1" "$BUDGET_RUN_URL/retry" >> '{{codes}}'; }
            if [ "$BUDGET_RUN_ATTEMPT" = 1 ]; then
              post '{"after": "soon"}'; post '{"bogus": 1}'; post '{}'; post '{"retry": false, "after": "1s"}'
              post '{"after": "2s"}'
            else
              post '{"retry": false, "reason": "HTTP 400 from upstream"}'
            fi
            exit 1
            """);
        var result = await BudgetRunProcess.RunAsync(["--listen", "127.0.0.1:0", "--max-attempts", "3", "--base-delay", "10ms", "--report", report,
            "--", "sh", script], new RunSettings { Environment = new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = "control-token-0123456789-secret" } });

        result.AssertExitCode(1).AssertNoStackTrace();
        Assert.Equal(["400", "400", "400", "400", "202", "202"], File.ReadAllLines(codes));
        var loaded = RunReport.Load(report);
        Assert.Equal("notRetryable", loaded.Outcome);
        Assert.Equal("the child asked not to retry: HTTP 400 from upstream", loaded.Text(loaded.Root, "message"));
        Assert.Equal(2, loaded.Attempts.Count);
        var (first, second) = (loaded.Attempts[0], loaded.Attempts[1]);
        Assert.True(loaded.Number(second, "delayBeforeMs") >= 2000, loaded.Json);
        Assert.True(loaded.Field(second, "delayAskedByChild").GetBoolean(), loaded.Json);
        Assert.False(loaded.Has(first, "delayAskedByChild"), loaded.Json);
        Assert.True(loaded.Time(second, "startedAt") - loaded.Time(first, "startedAt") >= TimeSpan.FromSeconds(2), loaded.Json);
        Assert.Contains("attempt 1 failed with exit code 1; next attempt in 2s, as the child asked (POST /retry)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("the child asked not to retry: HTTP 400 from upstream", result.StderrLines[^1], StringComparison.Ordinal);
    }
}
