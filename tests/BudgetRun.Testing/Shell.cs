using System.Diagnostics;

namespace BudgetRun.Testing;

/// <summary>Runs a short system command (kill -STOP, chattr) and returns its exit code.</summary>
internal static class Shell
{
    public static int Run(string program, params string[] arguments)
    {
        using var process = Process.Start(ProcessStart.Info(program, arguments, redirectStdin: false))!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }
}
