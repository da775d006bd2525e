using System.Net;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>Neither the control token nor the child's token ever leaves budget-run: not in logs, /status, /metrics, answers or the report.</summary>
public sealed class TokenSecrecyTests : ControlPlaneTest
{
    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task Tokens_NeverAppearInLogsStatusMetricsAnswersOrTheReport(string logFormat)
    {
        var report = Scratch.Path("report.json");
        var ready = Scratch.Path("child.pid");
        using var run = Start([.. Loopback, "--control-token-file", TokenFile(), "--log-format", logFormat, "--report", report,
            // A child that ignores SIGTERM and a 3 s grace keep the control plane up for the requests
            // made after the kill below (with a fast binary a polite child was gone before them).
            "--max-attempts", "2", "--kill-grace", "3s", "--", .. EnvDumpingChild("--pid-file", ready, "ignore-sigterm", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var childToken = (await ChildEnvironmentAsync(run))["BUDGET_RUN_TOKEN"];
        // The pid file appears once the child ignores SIGTERM: before that, the kill below could end
        // the run before the requests that follow it.
        await Wait.UntilAsync(() => File.Exists(ready), TimeSpan.FromSeconds(15), "the child ignores SIGTERM", run);
        var answers = new List<ControlAnswer>
        {
            await client.PostAsync("/cost", "{\"cents\": 5}", childToken),
            await client.PostAsync("/cost", "{\"cents\": 5}", ControlToken),
            await client.PostAsync("/cost", "{\"cents\": 5}", ControlToken.ToUpperInvariant()),
            await client.PostAsync("/cost", "{\"cents\": ", ControlToken),
            await client.PostAsync("/cost", "{\"cents\": 5, \"token\": \"" + ControlToken + "\"}", childToken),
            await client.PostAsync("/kill", null, childToken),
            await client.PostAsync("/kill", "{\"scope\": \"fleet\"}", ControlToken),
            await client.SendAsync(HttpMethod.Get, "/kill", null, "Bearer " + ControlToken),
            await client.SendAsync(HttpMethod.Get, "/" + ControlToken, null, "Bearer " + ControlToken),
            await client.GetAsync("/status"),
            await client.GetAsync("/metrics"),
            await client.GetAsync("/healthz"),
            await client.PostAsync("/kill", "{\"reason\": \"secrecy test\"}", ControlToken),
        };
        answers.Add(await client.GetAsync("/status"));
        answers.Add(await client.GetAsync("/metrics"));
        answers.Add(await client.PostAsync("/kill", null, ControlToken));
        var result = await run.WaitAsync();

        result.AssertExitCode(77);
        Assert.Equal(HttpStatusCode.OK, answers[0].Status);
        Assert.Equal(HttpStatusCode.Unauthorized, answers[5].Status);
        Assert.Equal(HttpStatusCode.Accepted, answers[12].Status);
        foreach (var (token, name) in new[] { (ControlToken, "the control token"), (childToken, "the child token") })
        {
            foreach (var line in result.StderrLines)
            {
                Assert.False(line.Contains(token, StringComparison.Ordinal), $"{name} is in a log line: {line}");
            }
            Assert.False(result.StdoutText.Contains(token, StringComparison.Ordinal), $"{name} is on stdout\n{result}");
            foreach (var answer in answers)
            {
                Assert.False(answer.Body.Contains(token, StringComparison.Ordinal), $"{name} is in an answer: {answer}");
            }
            Assert.False(RunReport.Load(report).Json.Contains(token, StringComparison.Ordinal), $"{name} is in the report");
        }
    }
}
