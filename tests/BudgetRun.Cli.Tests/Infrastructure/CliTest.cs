namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>Base of the CLI tests: a scratch directory per test and short ways to name test-child.</summary>
public abstract class CliTest : IDisposable
{
    private protected Scratch Scratch { get; } = new();

    /// <summary>The command line of test-child with <paramref name="args"/>.</summary>
    private protected static string[] Child(params string[] args) => [Executables.TestChild, .. args];

    /// <summary>Runs budget-run to its end.</summary>
    private protected static Task<ProcessResult> RunAsync(string[] args) => BudgetRunProcess.RunAsync(args);

    /// <summary>Runs budget-run to its end with the given environment variables (null removes one).</summary>
    private protected static Task<ProcessResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string?> environment, string[] args) =>
        BudgetRunProcess.RunAsync(args, new RunSettings { Environment = environment });

    public void Dispose()
    {
        Scratch.Dispose();
        GC.SuppressFinalize(this);
    }
}
