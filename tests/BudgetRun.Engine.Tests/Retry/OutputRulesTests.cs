using System.Text;
using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Retry;

namespace BudgetRun.Engine.Tests.Retry;

/// <summary>The output predicates on captured tails: precedence, streams, UTF-8 and binary, the report's last lines.</summary>
public sealed class OutputRulesTests
{
    private static CapturedStream Stream(string name, string text) => new(name, Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetByteCount(text));

    private static OutputRules Rules(string[]? retryIf = null, string[]? noRetryIf = null) => new()
    {
        RetryIf = [.. (retryIf ?? []).Select(OutputPattern.Parse)],
        NoRetryIf = [.. (noRetryIf ?? []).Select(OutputPattern.Parse)],
    };

    [Fact]
    public void WithoutPatterns_NothingIsDecided()
    {
        Assert.Equal(default, new OutputRules { TailLines = 3 }.Judge([Stream("stderr", "HTTP 503")]));
    }

    [Fact]
    public void AVeto_IsTriedBeforeEveryRetryPattern()
    {
        var verdict = Rules(["503"], ["quota"]).Judge([Stream("stderr", "503: quota exceeded")]);

        Assert.Equal(new OutputVerdict(OutputVerdictKind.NoRetry, "quota", "stderr"), verdict);
    }

    [Fact]
    public void TheFirstMatchingPattern_AndItsStream_AreNamed()
    {
        var verdict = Rules(["nothing", "busy"]).Judge([Stream("stdout", "fine"), Stream("stderr", "busy now")]);

        Assert.Equal(new OutputVerdict(OutputVerdictKind.Retry, "busy", "stderr"), verdict);
        Assert.Equal("--retry-if-output 'busy' matched stderr", verdict.Rule);
    }

    [Fact]
    public void OnlyAVetoGiven_NoMatchLeavesItToTheExitCode()
    {
        Assert.Equal(OutputVerdictKind.None, Rules(noRetryIf: ["quota"]).Judge([Stream("stderr", "HTTP 503")]).Kind);
        Assert.Equal(OutputVerdictKind.NoMatch, Rules(["quota"]).Judge([Stream("stderr", "HTTP 503")]).Kind);
    }

    [Fact]
    public void BinaryBytes_ReadAsReplacementCharacters_AndTextAroundThemStillMatches()
    {
        var bytes = new byte[] { 0xff, 0xfe, 0x00, 0xc3 }.Concat(Encoding.UTF8.GetBytes("\nStörung: 429\n")).Concat(new byte[] { 0x80, 0x81 }).ToArray();

        var verdict = Rules(["^Störung: 429$"]).Judge([new CapturedStream("stderr", bytes, bytes.Length)]);

        Assert.Equal(OutputVerdictKind.Retry, verdict.Kind);
    }

    [Theory]
    [InlineData("(a)\\1")]
    [InlineData("(?=x)y")]
    [InlineData("(?<=x)y")]
    [InlineData("(?>atomic)")]
    public void PatternsThatNeedBacktracking_AreRefused(string pattern)
    {
        var error = Assert.Throws<ArgumentException>(() => OutputPattern.Parse(pattern));
        Assert.Contains("linear-time matcher", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APatternThatWouldBacktrackExponentially_MatchesInLinearTime()
    {
        // (a+)+$ against "aaaa...!" takes a backtracking matcher 2^n steps; this one answers at once.
        var text = new string('a', 60_000) + "!";
        var verdict = Rules(["(a+)+$"]).Judge([Stream("stderr", text)]);

        Assert.Equal(OutputVerdictKind.NoMatch, verdict.Kind);
    }

    [Theory]
    [InlineData("a\nb\nc\n", 2, "b\nc\n")]
    [InlineData("a\nb\nc", 2, "b\nc")]
    [InlineData("a\nb\nc\n", 5, "a\nb\nc\n")]
    [InlineData("only", 1, "only")]
    [InlineData("", 3, "")]
    [InlineData("\n\n\n", 2, "\n\n")]
    public void LastLines_KeepsTheEndAsItWasWritten(string text, int count, string expected)
    {
        Assert.Equal(expected, OutputRules.LastLines(text, count));
    }
}
