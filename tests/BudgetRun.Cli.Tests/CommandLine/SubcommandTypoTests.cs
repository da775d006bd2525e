using BudgetRun.Cli.CommandLine;

namespace BudgetRun.Cli.Tests.CommandLine;

public sealed class SubcommandTypoTests
{
    [Theory]
    [InlineData("status", "status", 0)]
    [InlineData("statsu", "status", 1)] // transposition
    [InlineData("stats", "status", 1)] // deletion
    [InlineData("statuss", "status", 1)] // insertion
    [InlineData("statis", "status", 1)] // substitution
    [InlineData("sattsu", "status", 2)]
    [InlineData("kill", "resume", 6)]
    public void Distance_CountsInsertDeleteSubstituteAndSwapAsOneEditEach(string a, string b, int expected) =>
        Assert.Equal(expected, SubcommandTypo.Distance(a, b));

    [Theory]
    [InlineData("statsu", "status")]
    [InlineData("kil", "kill")]
    [InlineData("reusme", "resume")]
    [InlineData("budgte", "budget")]
    public void Suggest_ForAWordOneEditFromASubcommandThatIsNoProgram_NamesTheSubcommand(string word, string meant) =>
        Assert.Equal(meant, SubcommandTypo.Suggest(word, "/nonexistent-budget-run-test-dir"));

    [Theory]
    [InlineData("status")] // the subcommand itself is parsed as one before this is asked
    [InlineData("stattt")]
    [InlineData("./statsu")]
    public void Suggest_ForAnExactNameAFarWordOrAPath_IsNull(string word) =>
        Assert.Null(SubcommandTypo.Suggest(word, "/nonexistent-budget-run-test-dir"));
}
