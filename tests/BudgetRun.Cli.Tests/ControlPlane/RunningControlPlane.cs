namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// One budget-run shared by a class of tests that must each change nothing: a control token, a
/// large budget, and a child that sleeps for the whole class (it records its environment first,
/// so the tests know the child's token). Disposing it kills the run and its child.
/// </summary>
public sealed class RunningControlPlane : IAsyncLifetime
{
    public const long BudgetCents = 1_000_000;

    internal Scratch Scratch { get; } = new();

    internal string ControlToken { get; } = ControlPlaneTest.NewToken();

    internal string ChildToken { get; private set; } = "";

    internal int ChildPid { get; private set; }

    internal BudgetRunProcess Run { get; private set; } = null!;

    internal ControlPlaneClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var envFile = Scratch.Path("child.env");
        var pidFile = Scratch.Path("child.pid");
        Run = BudgetRunProcess.Start(
            ["--listen", "127.0.0.1:0", "--max-attempts", "1", "--max-cost-cents", BudgetCents.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--kill-grace", "500ms", "--",
                "sh", "-c", "env > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec \"$@\"", envFile,
                Executables.TestChild, "--pid-file", pidFile, "sleep", "600000"],
            new RunSettings
            {
                Environment = ControlPlaneTest.Clean(new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken }),
                Timeout = TimeSpan.FromMinutes(5),
            });
        Client = await ControlPlaneClient.ConnectAsync(Run);
        ChildPid = await Wait.ForPidAsync(pidFile, Run);
        await Wait.UntilAsync(() => File.Exists(envFile), TimeSpan.FromSeconds(15), "the child wrote its environment", Run);
        ChildToken = ControlPlaneTest.ReadEnvironment(envFile)["BUDGET_RUN_TOKEN"];
    }

    /// <summary>Fails unless budget-run still supervises the same child as before, with <paramref name="before"/> unchanged.</summary>
    internal async Task AssertNothingChangedAsync(StatusSnapshot before, ControlAnswer answer)
    {
        Assert.False(Run.HasExited, $"budget-run exited after {answer}\n--- stderr ---\n{Run.StderrSoFar}");
        Assert.True(Posix.IsAlive(ChildPid), $"the child died after {answer}\n--- stderr ---\n{Run.StderrSoFar}");
        var after = await StatusSnapshot.TakeAsync(Client);
        Assert.True(before == after, $"/status changed from {before} to {after} after {answer}");
    }

    public Task DisposeAsync()
    {
        Client?.Dispose();
        Run?.Dispose();
        Scratch.Dispose();
        return Task.CompletedTask;
    }
}
