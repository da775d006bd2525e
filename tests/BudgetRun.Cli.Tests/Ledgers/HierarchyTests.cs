using System.Text.Json;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Hierarchical budget keys against the real binary: a run of <c>K/nightly</c> is held to the limit
/// of <c>K</c> as well as its own, the refusal and the kill switch name the level that decided, and
/// <c>status</c> shows every level.
/// </summary>
public sealed class HierarchyTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    private string Job => Key + "/nightly";

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Run_UnderALevelWithATighterLimit_StopsWhenThatLevelIsSpent_AndNamesIt(LedgerKind kind)
    {
        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "50"])).AssertExitCode(0);

        var run = await RunToEndAsync([.. Account(kind, Job), "--max-cost-cents", "1000", "--cost-per-attempt-cents", "30",
            "--max-attempts", "5", "--base-delay", "1ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "3")]);

        run.AssertExitCode(75).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts")); // 30 of 50 spent: a second attempt does not fit the level above
        Assert.Contains($"remain in budget '{Key}'", run.Stderr, StringComparison.Ordinal);
        var status = await RunToEndAsync(["status", .. Account(kind, Job), "--json"]);
        using var json = JsonDocument.Parse(status.AssertExitCode(0).StdoutText);
        var level = Assert.Single(json.RootElement.GetProperty("levels").EnumerateArray());
        Assert.Equal((Key, 50L, 30L, 20L), (level.GetProperty("budgetKey").GetString(), level.GetProperty("budgetCents").GetInt64(),
            level.GetProperty("spentCents").GetInt64(), level.GetProperty("remainingCents").GetInt64()));
        Assert.Equal(30L, json.RootElement.GetProperty("spentCents").GetInt64());
        var text = await RunToEndAsync(["status", .. Account(kind, Job)]);
        Assert.Contains($"level:        {Key}: limit 50 cents, spent 30 cents", text.AssertExitCode(0).StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task KillOfALevel_StopsARunBelowIt_AndTheMessageNamesTheLevel(LedgerKind kind)
    {
        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "500"])).AssertExitCode(0);
        (await AdministerAsync(kind, "kill", "--reason", "INC-9")).AssertExitCode(0);

        var run = await RunToEndAsync([.. Account(kind, Job), "--max-cost-cents", "100", "--cost-per-attempt-cents", "10", "--",
            .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        run.AssertExitCode(77).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        Assert.Contains($"the kill switch of budget '{Key}' is engaged: INC-9", run.Stderr, StringComparison.Ordinal);
        (await AdministerAsync(kind, "resume")).AssertExitCode(0);
        (await RunToEndAsync([.. Account(kind, Job), "--max-cost-cents", "100", "--cost-per-attempt-cents", "10", "--",
            .. Child("exit", "0")])).AssertExitCode(0);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Sidecar_Refusal_NamesTheLevelThatRefused(LedgerKind kind)
    {
        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "40"])).AssertExitCode(0);
        using var serve = Launch(["serve", .. Account(kind, Job), "--max-cost-cents", "1000", "--listen", "127.0.0.1:0"]);
        var sidecar = await Sidecar.ConnectAsync(serve);

        await sidecar.ReserveIdAsync(30);
        var refused = await sidecar.ReserveAsync(30);

        refused.AssertProblem((System.Net.HttpStatusCode)402);
        Assert.Contains($"10 of 40 remain in budget '{Key}'", refused.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var status = await sidecar.Client.GetAsync("/status");
        using var json = JsonDocument.Parse(status.Body);
        Assert.Equal(Key, Assert.Single(json.RootElement.GetProperty("levels").EnumerateArray()).GetProperty("budgetKey").GetString());
    }
}
