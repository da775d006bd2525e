namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// <c>rediss://</c> against a real TLS-only redis-server: the binary (Native AOT in CI, which loads
/// OpenSSL only when TLS is used) reserves and settles over TLS when the server's CA is trusted
/// (<c>SSL_CERT_FILE</c>), and fails closed with the TLS error, not a password error, when it is not.
/// </summary>
public sealed class TlsRedisTests : LedgerTest, IAsyncLifetime
{
    private RedisServer? _server;

    public TlsRedisTests()
        : base(null)
    {
    }

    private RedisServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await RedisServer.StartTlsAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Rediss_WithTheServersCaTrusted_ChargesTheAccountOverTls()
    {
        var trusted = new Dictionary<string, string?> { ["SSL_CERT_FILE"] = Server.CaFile };

        var run = await RunToEndAsync([.. Account(), "--max-cost-cents", "100", "--cost-per-attempt-cents", "7", "--max-attempts", "2",
            "--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")], trusted);
        var status = await RunToEndAsync(["status", .. Account(), "--json"], trusted);

        run.AssertExitCode(1).AssertNoStackTrace();
        Assert.Equal(2, Scratch.Count("attempts"));
        status.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal(new AccountSnapshot(Key, 100, 14, 0, 86, null, false, null), AccountSnapshot.Parse(status.StdoutText, exactly: true));
    }

    [Fact]
    public async Task Rediss_WithAnUntrustedCertificate_StartsNothing_AndNamesTheTlsFailureNotThePassword()
    {
        var result = await RunToEndAsync([.. Account(), "--max-cost-cents", "100", "--cost-per-attempt-cents", "7",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")],
            new Dictionary<string, string?> { ["SSL_CERT_FILE"] = null });

        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"budget-run: ledger {Server.Uri} is unavailable: the TLS handshake failed: ", line, StringComparison.Ordinal);
        Assert.Contains("SSL_CERT_FILE", line, StringComparison.Ordinal);
        Assert.DoesNotContain("password", line, StringComparison.Ordinal);
    }

    private string[] Account() => ["--ledger", Server.Uri, "--budget-key", Key];
}
