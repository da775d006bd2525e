using System.Text.Json;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Each attempt's child knows which attempt it is (<c>BUDGET_RUN_ATTEMPT</c> of
/// <c>BUDGET_RUN_MAX_ATTEMPTS</c>), the run (<c>BUDGET_RUN_RUN_ID</c>, the id its reservations carry
/// in the ledger's history) and what remains (<c>BUDGET_RUN_REMAINING_CENTS</c>, the tightest of
/// the run's cap and the account's levels, once the attempt's own cost is reserved). Values an
/// outer budget-run left in the environment are replaced.
/// </summary>
public sealed class AttemptEnvironmentRunTests() : LedgerTest(redis: null)
{
    private static readonly string[] _names = ["BUDGET_RUN_ATTEMPT", "BUDGET_RUN_MAX_ATTEMPTS", "BUDGET_RUN_REMAINING_CENTS", "BUDGET_RUN_RUN_ID"];

    [Fact]
    public async Task EveryAttempt_SeesItsNumber_WhatRemains_AndOneRunId()
    {
        var inherited = new Dictionary<string, string?> { ["BUDGET_RUN_ATTEMPT"] = "7", ["BUDGET_RUN_REMAINING_CENTS"] = "999", ["BUDGET_RUN_RUN_ID"] = "outer" };

        var run = await RunToEndAsync(["--max-attempts", "3", "--max-cost-cents", "100", "--cost-per-attempt-cents", "30", "--base-delay", "1ms", "--",
            .. Child(["print-envs", "1", .. _names])], inherited);

        run.AssertExitCode(1);
        var attempts = Attempts(run.StdoutText);
        Assert.Equal(["1", "2", "3"], attempts.Select(a => a["BUDGET_RUN_ATTEMPT"]));
        Assert.Equal(["70", "40", "10"], attempts.Select(a => a["BUDGET_RUN_REMAINING_CENTS"]));
        Assert.All(attempts, a => Assert.Equal("3", a["BUDGET_RUN_MAX_ATTEMPTS"]));
        var runId = attempts[0]["BUDGET_RUN_RUN_ID"];
        Assert.Matches("^[0-9a-f]{32}$", runId);
        Assert.All(attempts, a => Assert.Equal(runId, a["BUDGET_RUN_RUN_ID"]));
    }

    [Fact]
    public async Task InAnAccount_WhatRemainsIsTheTightestLevel_AndTheRunIdIsTheHistorys()
    {
        (await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "50"])).AssertExitCode(0);
        var job = Key + "/nightly";

        var run = await RunToEndAsync([.. Account(LedgerKind.Sqlite, job), "--max-cost-cents", "1000", "--cost-per-attempt-cents", "20",
            "--max-attempts", "1", "--", .. Child(["print-envs", "0", .. _names])]);

        run.AssertExitCode(0);
        var attempt = Assert.Single(Attempts(run.StdoutText));
        Assert.Equal("30", attempt["BUDGET_RUN_REMAINING_CENTS"]); // 50 - 20 above, not 1000 - 20 of its own
        var history = await RunToEndAsync(["history", .. Account(LedgerKind.Sqlite, job), "--json"]);
        using var json = JsonDocument.Parse(history.AssertExitCode(0).StdoutText);
        var reserve = json.RootElement.GetProperty("entries").EnumerateArray().First(e => e.GetProperty("kind").GetString() == "reserve");
        Assert.Equal(attempt["BUDGET_RUN_RUN_ID"], reserve.GetProperty("runId").GetString());
    }

    /// <summary>The child's lines, one dictionary per attempt (each attempt prints every name once, in order).</summary>
    private static List<Dictionary<string, string>> Attempts(string stdout)
    {
        var pairs = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=', 2)).ToArray();
        return [.. pairs.Chunk(_names.Length).Select(chunk => chunk.ToDictionary(pair => pair[0], pair => pair[1]))];
    }
}
