namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>What a finished program printed and how it exited.</summary>
internal sealed record ProcessOutput(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
