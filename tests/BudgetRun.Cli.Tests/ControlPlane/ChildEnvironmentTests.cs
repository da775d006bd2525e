using System.Net;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>What the child gets: BUDGET_RUN_URL and a per-run BUDGET_RUN_TOKEN, and nothing that could engage the kill switch.</summary>
public sealed class ChildEnvironmentTests : ControlPlaneTest
{
    [Fact]
    public async Task Child_GetsTheRealBaseUrl_AndAFreshTokenOfItsOwn()
    {
        using var run = Start([.. Loopback, "--control-token-file", TokenFile(), "--max-attempts", "1",
            "--", .. EnvDumpingChild("sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var environment = await ChildEnvironmentAsync(run);

        Assert.True(environment.TryGetValue("BUDGET_RUN_URL", out var url), "BUDGET_RUN_URL is not set in the child");
        Assert.Equal(client.BaseUrl, new Uri(url));
        Assert.True(environment.TryGetValue("BUDGET_RUN_TOKEN", out var token), "BUDGET_RUN_TOKEN is not set in the child");
        Assert.True(token.Length >= 32, $"the child token '{token}' is short");
        Assert.NotEqual(ControlToken, token);
        using var fromChild = new ControlPlaneClient(new Uri(url));
        (await fromChild.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        (await fromChild.PostAsync("/cost", "{\"cents\": 1}", token)).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ChildToken_IsDifferentForEveryRun()
    {
        var tokens = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var envFile = Scratch.Path($"child{i}.env");
            var result = await RunCleanAsync([.. Loopback, "--max-attempts", "1",
                "--", "sh", "-c", "env > \"$0\"", envFile]);
            result.AssertExitCode(0);
            tokens.Add(ReadEnvironment(envFile)["BUDGET_RUN_TOKEN"]);
        }

        Assert.NotEqual(tokens[0], tokens[1]);
    }

    [Fact]
    public async Task Child_DoesNotInheritTheControlTokenVariable()
    {
        // The child's token may only pay (/cost); handing it budget-run's own control token would
        // let any child engage the kill switch.
        using var run = Start([.. Loopback, "--max-attempts", "1", "--", .. EnvDumpingChild("sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        var environment = await ChildEnvironmentAsync(run);

        Assert.False(environment.ContainsKey("BUDGET_RUN_CONTROL_TOKEN"),
            "the child inherited BUDGET_RUN_CONTROL_TOKEN, the token that authorises POST /kill");
        Assert.DoesNotContain(ControlToken, environment.Values);
    }

    [Fact]
    public async Task WithoutListen_TheChildGetsNoControlPlaneVariables()
    {
        var envFile = Scratch.Path("child.env");

        var result = await RunCleanAsync(["--max-attempts", "1", "--", "sh", "-c", "env > \"$0\"", envFile]);

        result.AssertExitCode(0);
        Assert.DoesNotContain("control plane listening", result.Stderr, StringComparison.Ordinal);
        var environment = ReadEnvironment(envFile);
        Assert.False(environment.ContainsKey("BUDGET_RUN_URL"), "BUDGET_RUN_URL is set without --listen");
        Assert.False(environment.ContainsKey("BUDGET_RUN_TOKEN"), "BUDGET_RUN_TOKEN is set without --listen");
    }
}
