using System.Globalization;

namespace BudgetRun.Client.Tests.Infrastructure;

/// <summary>
/// A real <c>budget-run serve</c> on a free loopback port, on an account of its own with a limit,
/// behind a control token of its own. Disposing it stops the process and removes its files.
/// </summary>
internal sealed class Sidecar : IAsyncDisposable
{
    private Sidecar(Scratch scratch, BudgetRunProcess process, Uri url, string ledgerUri, string key, string token)
    {
        Scratch = scratch;
        Process = process;
        Url = url;
        LedgerUri = ledgerUri;
        Key = key;
        Token = token;
    }

    public Scratch Scratch { get; }

    public BudgetRunProcess Process { get; }

    public Uri Url { get; }

    public string LedgerUri { get; }

    public string Key { get; }

    public string Token { get; }

    public BudgetSidecarOptions Options => new() { BaseAddress = Url, Token = Token };

    /// <summary>Starts serve on <paramref name="ledger"/> (Redis: the server at <paramref name="redisUri"/>) with a limit of <paramref name="limitCents"/>.</summary>
    public static async Task<Sidecar> StartAsync(Ledger ledger, long limitCents, string? redisUri = null)
    {
        var scratch = new Scratch();
        var key = "client-" + Guid.NewGuid().ToString("N")[..12];
        var token = "Client." + Guid.NewGuid().ToString("N");
        var tokenFile = scratch.Path("token");
        File.WriteAllText(tokenFile, token);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var ledgerUri = ledger switch
        {
            Ledger.Sqlite => "sqlite:" + scratch.Path("ledger.db"),
            _ => redisUri ?? throw new ArgumentNullException(nameof(redisUri)),
        };
        var process = BudgetRunProcess.Start(
            ["serve", "--listen", "127.0.0.1:0", "--ledger", ledgerUri, "--budget-key", key,
                "--max-cost-cents", limitCents.ToString(CultureInfo.InvariantCulture), "--control-token-file", tokenFile],
            new RunSettings { Timeout = TimeSpan.FromMinutes(3) });
        try
        {
            return new Sidecar(scratch, process, await Wait.ForSidecarAsync(process), ledgerUri, key, token);
        }
        catch
        {
            process.Dispose();
            scratch.Dispose();
            throw;
        }
    }

    /// <summary>A client of this sidecar over a fresh <see cref="HttpClient"/>.</summary>
    public BudgetSidecarClient Client(HttpClient http) => new(http, Options);

    /// <summary>The account's figures from <c>budget-run status --json</c>, read from the ledger itself.</summary>
    public async Task<(long Spent, long Reserved, long? Remaining)> AccountAsync()
    {
        var result = await BudgetRunProcess.RunAsync(["status", "--ledger", LedgerUri, "--budget-key", Key, "--json"]);
        Assert.True(result.ExitCode == 0, $"budget-run status failed\n{result}");
        using var json = System.Text.Json.JsonDocument.Parse(result.StdoutText);
        var root = json.RootElement;
        return (root.GetProperty("spentCents").GetInt64(), root.GetProperty("reservedCents").GetInt64(),
            root.GetProperty("remainingCents").ValueKind == System.Text.Json.JsonValueKind.Number ? root.GetProperty("remainingCents").GetInt64() : null);
    }

    /// <summary>Runs an administration subcommand (<c>kill</c>, <c>resume</c>) on the account.</summary>
    public async Task AdministerAsync(string subcommand, params string[] more)
    {
        var result = await BudgetRunProcess.RunAsync([subcommand, "--ledger", LedgerUri, "--budget-key", Key, .. more]);
        Assert.True(result.ExitCode == 0, $"budget-run {subcommand} failed\n{result}");
    }

    public ValueTask DisposeAsync()
    {
        Process.Dispose();
        Scratch.Dispose();
        return ValueTask.CompletedTask;
    }
}
