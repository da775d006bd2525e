namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>One instruction of a Dockerfile, continuation lines joined: "RUN", "apt-get ...".</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line)
{
    public override string ToString() => $"line {Line}: {Keyword} {Arguments}";
}
