namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>A Dockerfile read into instructions and stages, enough to check its shape.</summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerInstruction> instructions)
    {
        Instructions = instructions;
        var stages = new List<DockerStage>();
        DockerInstruction? from = null;
        var body = new List<DockerInstruction>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                if (from is not null)
                {
                    stages.Add(new DockerStage(from, body));
                }
                from = instruction;
                body = [];
            }
            else if (from is not null)
            {
                body.Add(instruction);
            }
        }
        if (from is not null)
        {
            stages.Add(new DockerStage(from, body));
        }
        Stages = stages;
        GlobalArgs = instructions.TakeWhile(instruction => instruction.Keyword != "FROM").Where(instruction => instruction.Keyword == "ARG").ToList();
    }

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>ARG instructions before the first FROM: those a FROM line may use.</summary>
    public IReadOnlyList<DockerInstruction> GlobalArgs { get; }

    /// <summary>The default of a global ARG ("" when it has none), or null when it is not declared.</summary>
    public string? GlobalArgDefault(string name)
    {
        foreach (var instruction in GlobalArgs)
        {
            var parts = instruction.Arguments.Split('=', 2);
            if (parts[0].Trim() == name)
            {
                return parts.Length == 2 ? parts[1].Trim().Trim('"') : "";
            }
        }
        return null;
    }

    public static Dockerfile Load(string path) => Parse(File.ReadAllText(path));

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var lines = text.Split('\n');
        var pending = "";
        var start = 0;
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].TrimEnd('\r');
            var trimmed = line.Trim();
            if (pending.Length == 0 && (trimmed.Length == 0 || trimmed.StartsWith('#')))
            {
                continue;
            }
            if (pending.Length > 0 && trimmed.StartsWith('#'))
            {
                continue; // a comment inside a continued instruction
            }
            if (pending.Length == 0)
            {
                start = index + 1;
            }
            if (trimmed.EndsWith('\\'))
            {
                pending += trimmed[..^1].Trim() + " ";
                continue;
            }
            var whole = (pending + trimmed).Trim();
            pending = "";
            if (whole.Length == 0)
            {
                continue;
            }
            var space = whole.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? whole : whole[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : whole[(space + 1)..].Trim();
            instructions.Add(new DockerInstruction(keyword, arguments, start));
        }
        return new Dockerfile(instructions);
    }
}
