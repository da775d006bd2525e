namespace BudgetRun.Cli.CommandLine;

/// <summary>Bad input from the user: reported as one line on stderr, exit code 2, nothing started.</summary>
internal sealed class UsageException(string message) : Exception(message);
