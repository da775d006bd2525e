namespace BudgetRun.Cli.CommandLine;

/// <summary><c>--on-end</c> and its bounds.</summary>
/// <param name="Command">Run by <c>/bin/sh -c</c>.</param>
/// <param name="Timeout"><c>--on-end-timeout</c>: then SIGTERM to its tree.</param>
/// <param name="KillGrace"><c>--kill-grace</c>: from SIGTERM to SIGKILL of its tree.</param>
internal sealed record EndHookSettings(string Command, TimeSpan Timeout, TimeSpan KillGrace)
{
    /// <summary>The default of <c>--on-end-timeout</c>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
}
