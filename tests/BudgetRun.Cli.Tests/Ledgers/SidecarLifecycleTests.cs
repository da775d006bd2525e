using System.Net;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// <c>budget-run serve</c> as a pod's budget service: it serves <c>/status</c>, <c>/healthz</c> and
/// <c>/metrics</c>, ends cleanly on SIGTERM, and without a control token binds loopback only.
/// </summary>
public sealed class SidecarLifecycleTests(RedisFixture redis) : SidecarTest(redis), IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData(LedgerKind.Sqlite, Posix.SIGTERM)]
    [InlineData(LedgerKind.Redis, Posix.SIGTERM)]
    [InlineData(LedgerKind.Sqlite, Posix.SIGINT)]
    public async Task Signal_EndsServeCleanly(LedgerKind kind, int signal)
    {
        using var sidecar = await ServeAsync(kind, 100);
        await sidecar.ReserveIdAsync(10);

        var result = await StopAsync(sidecar, signal);

        Assert.True(result.Elapsed < TimeSpan.FromSeconds(15), result.ToString());
        Assert.Equal(new AccountSnapshot(Key, 100, 0, 10, 90, null, false, null), await StatusAsync(kind));
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    public async Task StatusHealthAndMetrics_DescribeTheAccount(LedgerKind kind)
    {
        using var sidecar = await ServeAsync(kind, 500, "--budget-window", "24h", "--name", "queue-worker");
        await sidecar.SettleAsync(await sidecar.ReserveIdAsync(100), 120);
        await sidecar.ReserveIdAsync(30);

        var status = await sidecar.Client.StatusAsync();
        var health = await sidecar.Client.GetAsync("/healthz");
        var metrics = await sidecar.Client.MetricsAsync();

        var account = AccountSnapshot.From(status, exactly: false);
        var midnight = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        Assert.Equal(new AccountSnapshot(Key, 500, 120, 30, 350, account.WindowEndsAt, false, null), account);
        Assert.True(account.WindowEndsAt == midnight || account.WindowEndsAt == midnight.AddDays(1),
            $"windowEndsAt {account.WindowEndsAt:O} is not the next 00:00 UTC\n{status}");
        Assert.Equal("queue-worker", status.GetProperty("workload").GetString());
        health.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("ok", health.Json.GetProperty("status").GetString());
        Assert.Equal(500, metrics.Value("budget_run_budget_cents", "workload=queue-worker"));
        Assert.Equal(350, metrics.Value("budget_run_budget_remaining_cents", "workload=queue-worker"));
        Assert.Equal(120, metrics.Value("budget_run_cost_cents_total", "workload=queue-worker"));
        Assert.Equal(0, metrics.Value("budget_run_kill_switch_engaged", "workload=queue-worker"));
        Assert.Equal(0, metrics.Value("budget_run_ledger_errors_total", "workload=queue-worker"));
        // The account's own level, labelled with its key: the fleet-wide figures of the ledger.
        Assert.Equal((500d, 120d, 30d, 350d, 0d), (metrics.Value("budget_run_account_budget_cents", $"budget_key={Key}"),
            metrics.Value("budget_run_account_spent_cents", $"budget_key={Key}"), metrics.Value("budget_run_account_reserved_cents", $"budget_key={Key}"),
            metrics.Value("budget_run_account_remaining_cents", $"budget_key={Key}"), metrics.Value("budget_run_account_kill_switch_engaged", $"budget_key={Key}")));
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    public async Task WithoutAToken_ServeSaysOnceThatItListensOnLoopbackOnly(LedgerKind kind)
    {
        using var sidecar = await ServeAsync(kind, 100);
        await Wait.UntilAsync(() => sidecar.Process.StderrSoFar.Contains("loopback only", StringComparison.Ordinal), TimeSpan.FromSeconds(5),
            "the loopback-only line", sidecar.Process);

        var result = await StopAsync(sidecar);

        Assert.Single(result.StderrLines, line => line.Contains("loopback only", StringComparison.Ordinal));
        Assert.Equal(IPAddress.Loopback.ToString(), sidecar.Client.BaseUrl.Host);
    }

    [Theory]
    [InlineData("0.0.0.0:0")]
    [InlineData("[::]:0")]
    public async Task WithoutAToken_ANonLoopbackListen_IsAUsageError(string listen)
    {
        var result = await RunToEndAsync(["serve", "--listen", listen, .. Account(LedgerKind.Sqlite), "--max-cost-cents", "100"]);

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.Contains("--listen", line, StringComparison.Ordinal);
        Assert.Contains("loopback", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithAToken_ServeMayListenOnEveryAddress()
    {
        var process = Launch(["serve", "--listen", "0.0.0.0:0", "--control-token-file", TokenFile(), .. Account(LedgerKind.Sqlite), "--max-cost-cents", "100"]);
        using var sidecar = await Sidecar.ConnectAsync(process);

        (await sidecar.ReserveAsync(5, ControlToken)).AssertStatus(HttpStatusCode.OK);
        await StopAsync(sidecar);
        Assert.DoesNotContain("loopback only", sidecar.Process.StderrSoFar, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithoutListen_IsAUsageError()
    {
        var result = await RunToEndAsync(["serve", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "100"]);

        result.AssertExitCode(2);
        Assert.Contains("--listen", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisGone_ReserveAnswers503_TheErrorIsCounted_AndServeKeepsRunning()
    {
        await using var server = await RedisServer.StartAsync();
        var process = Launch(["serve", "--listen", "127.0.0.1:0", "--ledger", server.Uri, "--budget-key", Key, "--max-cost-cents", "100"]);
        using var sidecar = await Sidecar.ConnectAsync(process);
        var id = await sidecar.ReserveIdAsync(10);

        server.Kill();
        var reserve = await sidecar.Client.PostAsync("/v1/reserve", "{\"cents\": 5}", token: null);
        var settle = await sidecar.SettleAsync(id, 5);
        var health = await sidecar.Client.GetAsync("/healthz");
        var metrics = await sidecar.Client.MetricsAsync();

        reserve.AssertProblem(HttpStatusCode.ServiceUnavailable);
        Assert.Contains(server.Uri, reserve.Body, StringComparison.Ordinal);
        settle.AssertProblem(HttpStatusCode.ServiceUnavailable);
        health.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.True(metrics.Value("budget_run_ledger_errors_total") >= 2, metrics.Text);
        Assert.False(sidecar.Process.HasExited, sidecar.Process.StderrSoFar);
        Assert.Contains("ledger error", sidecar.Process.StderrSoFar, StringComparison.Ordinal);
        var result = await StopAsync(sidecar);
        result.AssertNoStackTrace();
    }

    [Fact]
    public async Task Serve_AgainstAnUnreachableRedis_Exits69WithOneLine()
    {
        var ledger = $"redis://127.0.0.1:{Ports.FreeLoopback()}/0";

        var result = await RunToEndAsync(["serve", "--listen", "127.0.0.1:0", "--ledger", ledger, "--budget-key", Key, "--max-cost-cents", "100"]);

        result.AssertExitCode(69);
        Assert.Contains(ledger, result.AssertOneStderrLine(), StringComparison.Ordinal);
    }
}
