namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>A build stage: its FROM and the instructions up to the next FROM.</summary>
internal sealed record DockerStage(DockerInstruction From, IReadOnlyList<DockerInstruction> Instructions)
{
    /// <summary>"build" in "FROM ${SDK_IMAGE} AS build", or null.</summary>
    public string? Name
    {
        get
        {
            var words = From.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var index = Array.FindIndex(words, word => word.Equals("AS", StringComparison.OrdinalIgnoreCase));
            return index >= 0 && index + 1 < words.Length ? words[index + 1] : null;
        }
    }

    /// <summary>The image of the FROM, ignoring --platform and the stage name.</summary>
    public string Image => From.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(word => !word.StartsWith("--", StringComparison.Ordinal));

    public IEnumerable<DockerInstruction> All(string keyword) =>
        Instructions.Where(instruction => instruction.Keyword.Equals(keyword, StringComparison.OrdinalIgnoreCase));
}
