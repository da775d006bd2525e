using System.Net;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// With a control token, <c>/v1/reserve</c> and <c>/v1/settle</c> need <c>Authorization: Bearer</c>
/// with it: a missing or wrong token gets 401 and changes nothing. The read-only endpoints stay open.
/// </summary>
public sealed class SidecarAuthTests(RedisFixture redis) : SidecarTest(redis), IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task V1_WithoutOrWithAWrongToken_Answers401_AndChangesNothing(LedgerKind kind)
    {
        using var sidecar = await ServeAsync(kind, 100, "--control-token-file", TokenFile());
        var id = await sidecar.ReserveIdAsync(10, ControlToken);
        var before = await sidecar.StatusAsync();

        var answers = new[]
        {
            await sidecar.ReserveAsync(5),
            await sidecar.ReserveAsync(5, "wrong-token-0123456789"),
            await sidecar.ReserveAsync(5, ControlToken.ToUpperInvariant()),
            await sidecar.ReserveAsync(5, ControlToken + "x"),
            await sidecar.SettleAsync(id, 3),
            await sidecar.SettleAsync(id, 3, "wrong-token-0123456789"),
            await sidecar.Client.SendAsync(HttpMethod.Post, "/v1/reserve", ControlPlaneClient.Json("{\"cents\": 5}"), "Basic " + ControlToken),
        };
        var after = await sidecar.StatusAsync();

        foreach (var answer in answers)
        {
            answer.AssertProblem(HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", answer.WwwAuthenticate, StringComparison.Ordinal);
        }
        Assert.Equal(before, after);
        Assert.DoesNotContain(ControlToken, sidecar.Process.StderrSoFar, StringComparison.Ordinal);
        // The reservation the rejected settles named is still open, and the right token settles it.
        (await sidecar.SettleAsync(id, 3, ControlToken)).AssertStatus(HttpStatusCode.OK);
        (await sidecar.Client.GetAsync("/status")).AssertStatus(HttpStatusCode.OK);
        (await sidecar.Client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        (await sidecar.Client.GetAsync("/metrics")).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheTokenMayComeFromTheEnvironment()
    {
        var process = Launch(["serve", "--listen", "127.0.0.1:0", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "100"],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var sidecar = await Sidecar.ConnectAsync(process);

        (await sidecar.ReserveAsync(5)).AssertProblem(HttpStatusCode.Unauthorized);
        (await sidecar.ReserveAsync(5, ControlToken)).AssertStatus(HttpStatusCode.OK);
    }
}
