namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>budget-run run as nobody (setpriv, from the root the tests run as): what a user who may not make a cgroup, or read root's files, sees.</summary>
internal static class Nobody
{
    /// <summary>setpriv's arguments that drop to nobody, before the program to run.</summary>
    public static readonly string[] SetprivArgs = ["--reuid=65534", "--regid=65534", "--clear-groups"];

    /// <summary>budget-run <paramref name="args"/> as nobody.</summary>
    public static Task<ProcessResult> RunBudgetRunAsync(string[] args, RunSettings? settings = null) =>
        BudgetRunProcess.RunProgramAsync("setpriv", [.. SetprivArgs, Executables.BudgetRun, .. args], settings);
}
