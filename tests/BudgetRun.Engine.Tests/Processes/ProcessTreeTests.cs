using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Processes;

public sealed class ProcessTreeTests
{
    [Theory]
    [InlineData("123 (bash) S 45 123 123 0 -1 4194304", 45, 'S')]
    [InlineData("123 (a b) c)) S 45 123 123 0 -1", 45, 'S')]
    [InlineData("7 ((sd-pam)) Z 1 7 7 0", 1, 'Z')]
    [InlineData("9 (x) S 99 (y) R 2 9 9) T 3 9 9 0", 3, 'T')]
    [InlineData("42 () R 0 42 42 0", 0, 'R')]
    public void TryParseStat_WithAnyComm_ReadsTheParentAndState(string stat, int parent, char state)
    {
        Assert.True(ProcessTree.TryParseStat(stat, out var parsedParent, out var parsedState));
        Assert.Equal(parent, parsedParent);
        Assert.Equal(state, parsedState);
    }

    [Theory]
    [InlineData("")]
    [InlineData("123 bash S 45 1")]
    [InlineData("123 (bash)")]
    [InlineData("123 (bash) S")]
    [InlineData("123 (bash) S x 1")]
    public void TryParseStat_WhenMalformed_ReturnsFalse(string stat) =>
        Assert.False(ProcessTree.TryParseStat(stat, out _, out _));

    [Fact]
    public void TryParseStat_OfThisProcess_FindsItsRealParent()
    {
        var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");

        Assert.True(ProcessTree.TryParseStat(stat, out var parent, out var state));
        Assert.True(parent > 0);
        Assert.Contains(state, "RS");
    }
}
