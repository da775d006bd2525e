using System.Diagnostics;

namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>Runs a short system command (kill -STOP, chattr) and returns its exit code.</summary>
internal static class Shell
{
    public static int Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }
}
