using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// A second, independent SQLite client (python3's sqlite3 module; eng/install-deps.sh installs
/// python3) that checks a ledger file from outside budget-run, or holds its write lock.
/// </summary>
internal static class SqliteProbe
{
    private const string IntegrityScript = """
        import sqlite3, sys
        connection = sqlite3.connect(sys.argv[1])
        print(";".join(row[0] for row in connection.execute("PRAGMA integrity_check")))
        """;

    private const string LockScript = """
        import sqlite3, sys
        connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
        connection.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        sys.stdin.read()
        connection.execute("ROLLBACK")
        """;

    private const string QueryScript = """
        import sqlite3, sys
        connection = sqlite3.connect(sys.argv[1])
        for row in connection.execute(sys.argv[2]):
            print("|".join("" if value is None else str(value) for value in row))
        """;

    /// <summary>The rows of <paramref name="sql"/> against <paramref name="path"/>, each as "a|b|c".</summary>
    public static async Task<string[]> QueryAsync(string path, string sql)
    {
        using var python = BudgetRunProcess.StartProgram("python3", ["-c", QueryScript, path, sql]);
        var result = await python.WaitAsync();
        result.AssertExitCode(0);
        return result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary><c>PRAGMA integrity_check</c> of <paramref name="path"/>: "ok" for a sound file.</summary>
    public static async Task<string> IntegrityCheckAsync(string path)
    {
        using var python = BudgetRunProcess.StartProgram("python3", ["-c", IntegrityScript, path]);
        var result = await python.WaitAsync();
        result.AssertExitCode(0);
        return result.StdoutText.Trim();
    }

    /// <summary>
    /// Holds <c>BEGIN EXCLUSIVE</c> on <paramref name="path"/> from another process until disposed:
    /// every writer (budget-run's <c>BEGIN IMMEDIATE</c>) waits for it.
    /// </summary>
    public static async Task<IAsyncDisposable> HoldWriteLockAsync(string path)
    {
        var python = BudgetRunProcess.StartProgram("python3", ["-c", LockScript, path], new RunSettings { KeepStdinOpen = true });
        try
        {
            await Wait.UntilAsync(() => python.StdoutSoFar.Contains("locked", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
                "python3 holds the ledger's write lock", python);
        }
        catch
        {
            python.Dispose();
            throw;
        }
        return new LockHolder(python);
    }

    private sealed class LockHolder(BudgetRunProcess python) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            python.Stdin.Close();
            var result = await python.WaitAsync();
            python.Dispose();
            if (result.ExitCode != 0)
            {
                throw new XunitException($"the lock holder failed\n{result}");
            }
        }
    }
}
