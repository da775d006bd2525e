using System.Globalization;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>Base of the sidecar tests: starts <c>budget-run serve</c> on a free loopback port for this test's account.</summary>
public abstract class SidecarTest : LedgerTest
{
    private protected SidecarTest(RedisFixture? redis)
        : base(redis)
    {
    }

    /// <summary>A control token of this test's own.</summary>
    private protected string ControlToken { get; } = $"Side.{Guid.NewGuid():N}-Car";

    /// <summary><c>budget-run serve --listen 127.0.0.1:0</c> on the account with a limit of <paramref name="limit"/> cents, plus <paramref name="extra"/>.</summary>
    private protected async Task<Sidecar> ServeAsync(LedgerKind kind, long limit, params string[] extra)
    {
        var process = Launch(["serve", "--listen", "127.0.0.1:0", .. Account(kind), "--max-cost-cents", limit.ToString(CultureInfo.InvariantCulture), .. extra],
            timeout: TimeSpan.FromMinutes(2));
        try
        {
            return await Sidecar.ConnectAsync(process);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Writes <see cref="ControlToken"/> to a file only its owner can read; returns the path.</summary>
    private protected string TokenFile()
    {
        var path = Scratch.Path("token");
        File.WriteAllText(path, ControlToken);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Sends SIGTERM and waits for the exit: 0 or 143, no stack trace.</summary>
    private protected static async Task<ProcessResult> StopAsync(Sidecar sidecar, int signal = Posix.SIGTERM)
    {
        sidecar.Process.Signal(signal);
        var result = await sidecar.Process.WaitAsync();
        Assert.True(result.ExitCode is 0 || result.ExitCode == 128 + signal, $"serve did not end cleanly\n{result}");
        result.AssertNoStackTrace();
        return result;
    }
}
