namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>
/// A clean machine for the .NET CLI: its own HOME, CLI home and NuGet cache, and a NuGet.Config
/// with no source at all, so that a tool can only come from the feed a test adds (never from
/// nuget.org, nor from the packages this machine already holds).
/// </summary>
internal sealed class ToolHome : IDisposable
{
    private readonly Scratch _scratch = new();
    private readonly string _config;

    public ToolHome()
    {
        _config = _scratch.Write("nuget.config",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><clear /></packageSources></configuration>\n");
    }

    public string Directory => _scratch.Directory;

    /// <summary>The options that make <paramref name="feed"/> the only package source.</summary>
    public string[] Sources(string feed) => ["--configfile", _config, "--add-source", feed];

    public Task<ProcessResult> DotnetAsync(string[] args, string? workingDirectory = null) => RunAsync("dotnet", args, workingDirectory);

    public async Task<ProcessResult> RunAsync(string program, string[] args, string? workingDirectory = null) =>
        await BudgetRunProcess.RunProgramAsync(program, args, new RunSettings
        {
            WorkingDirectory = workingDirectory ?? Directory,
            Timeout = TimeSpan.FromMinutes(2),
            Environment = new Dictionary<string, string?>
            {
                ["HOME"] = Directory,
                ["DOTNET_CLI_HOME"] = Directory,
                ["NUGET_PACKAGES"] = Path.Combine(Directory, "packages"),
                ["DOTNET_NOLOGO"] = "1",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            },
        });

    public void Dispose() => _scratch.Dispose();
}
