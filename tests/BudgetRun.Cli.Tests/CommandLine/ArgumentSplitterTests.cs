using BudgetRun.Cli.CommandLine;

namespace BudgetRun.Cli.Tests.CommandLine;

public sealed class ArgumentSplitterTests
{
    private static (string[] Options, string[] Command) Split(params string[] args) =>
        ArgumentSplitter.Split(args, new CliOptions().CreateRoot());

    [Fact]
    public void Split_AtTheFirstWordThatIsNotAnOption_KeepsTheCommandsFlagsWithTheCommand()
    {
        var (options, command) = Split("--max-attempts", "3", "curl", "-sf", "x");

        Assert.Equal(["--max-attempts", "3"], options);
        Assert.Equal(["curl", "-sf", "x"], command);
    }

    [Fact]
    public void Split_AtDoubleDash_DropsTheDoubleDash()
    {
        var (options, command) = Split("--max-attempts", "3", "--", "--weird-command", "--", "arg");

        Assert.Equal(["--max-attempts", "3"], options);
        Assert.Equal(["--weird-command", "--", "arg"], command);
    }

    [Fact]
    public void Split_WithAnInlineValue_DoesNotTakeTheNextWordAsTheValue()
    {
        var (options, command) = Split("--max-attempts=3", "cmd", "--max-attempts", "9");

        Assert.Equal(["--max-attempts=3"], options);
        Assert.Equal(["cmd", "--max-attempts", "9"], command);
    }

    [Fact]
    public void Split_AfterAFlagWithoutValue_StartsTheCommandAtTheNextWord()
    {
        var (options, command) = Split("--jitter", "cmd", "-x");

        Assert.Equal(["--jitter"], options);
        Assert.Equal(["cmd", "-x"], command);
    }

    [Fact]
    public void Split_AValueThatLooksLikeAnOption_StaysTheOptionsValue()
    {
        var (options, command) = Split("--base-delay", "-1s", "cmd");

        Assert.Equal(["--base-delay", "-1s"], options);
        Assert.Equal(["cmd"], command);
    }

    [Fact]
    public void Split_WithoutACommand_ReturnsAnEmptyCommand()
    {
        var (options, command) = Split("--max-attempts", "3");

        Assert.Equal(["--max-attempts", "3"], options);
        Assert.Empty(command);
    }

    [Fact]
    public void Split_WithOnlyACommand_ReturnsNoOptions()
    {
        var (options, command) = Split("make", "-j", "4");

        Assert.Empty(options);
        Assert.Equal(["make", "-j", "4"], command);
    }

    [Fact]
    public void Split_ABareDash_IsTheCommand()
    {
        var (options, command) = Split("-");

        Assert.Empty(options);
        Assert.Equal(["-"], command);
    }

    [Theory]
    [InlineData("--jitter=")] // the parser would read it as plain --jitter
    [InlineData("--jitter=maybe")]
    [InlineData("--jitter= full")]
    public void JitterWithAnEmptyOrUnknownValue_IsAUsageErrorNamingTheFlagAndItsWords(string flag)
    {
        var error = Assert.Throws<UsageException>(() => Split(flag, "cmd"));

        Assert.Equal($"--jitter: '{flag["--jitter=".Length..]}' is not a valid value (use --jitter, --jitter=full or --jitter=decorrelated)", error.Message);
    }

    [Theory]
    [InlineData("--jitter=full")]
    [InlineData("--jitter=decorrelated")]
    [InlineData("--jitter=true")]
    [InlineData("--jitter=false")]
    public void JitterWithAKnownValue_StaysWithOurOptions(string flag)
    {
        var (options, command) = Split(flag, "full");

        Assert.Equal([flag], options);
        Assert.Equal(["full"], command);
    }
}
