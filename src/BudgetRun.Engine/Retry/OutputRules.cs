using System.Text;
using System.Text.RegularExpressions;
using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Retry;

/// <summary>One <c>--retry-if-output</c> or <c>--no-retry-if-output</c> pattern, compiled once.</summary>
public sealed record OutputPattern(string Source, Regex Regex)
{
    /// <summary>
    /// A match never takes longer than this. The matcher is linear-time already (.NET's
    /// <see cref="RegexOptions.NonBacktracking"/>: no pattern can make it backtrack, so no ReDoS);
    /// the timeout is the second guard.
    /// </summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Compiles <paramref name="source"/>: .NET syntax, <c>^</c> and <c>$</c> at every line, case
    /// sensitive (<c>(?i)</c> makes it not).
    /// </summary>
    /// <exception cref="ArgumentException">Not a valid pattern, or one only a backtracking matcher can run (a backreference, a lookaround, an atomic group).</exception>
    public static OutputPattern Parse(string source)
    {
        try
        {
            return new OutputPattern(source, new Regex(source, RegexOptions.CultureInvariant | RegexOptions.Multiline | RegexOptions.NonBacktracking, MatchTimeout));
        }
        catch (NotSupportedException ex)
        {
            throw new ArgumentException($"{ex.Message.TrimEnd('.')} (output patterns run on a linear-time matcher: no backreferences, lookarounds or atomic groups)", ex);
        }
    }
}

/// <summary>How the output predicates judged an attempt.</summary>
internal enum OutputVerdictKind
{
    /// <summary>No predicate: the exit-code policy decides.</summary>
    None,

    /// <summary>A <c>--no-retry-if-output</c> pattern matched: the run ends.</summary>
    NoRetry,

    /// <summary>A <c>--retry-if-output</c> pattern matched: retried whatever the code.</summary>
    Retry,

    /// <summary><c>--retry-if-output</c> was given and none matched: the run ends.</summary>
    NoMatch,
}

/// <summary>The output predicates' verdict on one attempt, and the pattern and stream that decided it.</summary>
internal readonly record struct OutputVerdict(OutputVerdictKind Kind, string? Pattern = null, string? Stream = null)
{
    /// <summary>The rule that decided, in the words of the report and the log (null when none did).</summary>
    public string? Rule => Kind switch
    {
        OutputVerdictKind.NoRetry => $"--no-retry-if-output '{Pattern}' matched {Stream}",
        OutputVerdictKind.Retry => $"--retry-if-output '{Pattern}' matched {Stream}",
        OutputVerdictKind.NoMatch => "no --retry-if-output matched",
        _ => null,
    };
}

/// <summary>
/// The output predicates and the report's output tail (<c>--retry-if-output</c>, <c>--no-retry-if-output</c>,
/// <c>--match-stream</c>, <c>--report-output-tail</c>). A failed attempt's output is judged on the last
/// <see cref="OutputTap.KeepBytes"/> of each tapped stream, read as UTF-8 (a byte that is not
/// UTF-8 reads as U+FFFD): a <c>--no-retry-if-output</c> match ends the run; else a
/// <c>--retry-if-output</c> match retries it, whatever its exit code; else, when any
/// <c>--retry-if-output</c> was given, the run ends; else the exit-code policy decides.
/// </summary>
public sealed record OutputRules
{
    /// <summary>The most lines <c>--report-output-tail</c> keeps.</summary>
    public const int MaxTailLines = 1000;

    public IReadOnlyList<OutputPattern> RetryIf { get; init; } = [];

    public IReadOnlyList<OutputPattern> NoRetryIf { get; init; } = [];

    /// <summary>The streams tapped and judged (default stderr).</summary>
    public OutputStreams Streams { get; init; } = OutputStreams.Stderr;

    /// <summary>Lines of each tapped stream's end kept in the report's attempt; null: none.</summary>
    public int? TailLines { get; init; }

    internal OutputVerdict Judge(IReadOnlyList<CapturedStream> captured)
    {
        if (RetryIf.Count == 0 && NoRetryIf.Count == 0)
        {
            return default;
        }
        var texts = captured.Select(stream => (stream.Stream, Text: Encoding.UTF8.GetString(stream.Tail))).ToArray();
        if (FirstMatch(NoRetryIf, texts) is { } veto)
        {
            return new OutputVerdict(OutputVerdictKind.NoRetry, veto.Pattern, veto.Stream);
        }
        if (FirstMatch(RetryIf, texts) is { } retry)
        {
            return new OutputVerdict(OutputVerdictKind.Retry, retry.Pattern, retry.Stream);
        }
        return RetryIf.Count > 0 ? new OutputVerdict(OutputVerdictKind.NoMatch) : default;
    }

    /// <summary>The last <see cref="TailLines"/> lines of each tapped stream, for the report (null when not asked).</summary>
    internal IReadOnlyList<OutputTail>? Tails(IReadOnlyList<CapturedStream> captured) =>
        TailLines is not { } lines ? null : captured.Select(stream => new OutputTail(stream.Stream, LastLines(Encoding.UTF8.GetString(stream.Tail), lines), stream.TotalBytes)).ToArray();

    private static (string Pattern, string Stream)? FirstMatch(IReadOnlyList<OutputPattern> patterns, (string Stream, string Text)[] texts)
    {
        foreach (var pattern in patterns)
        {
            foreach (var (stream, text) in texts)
            {
                try
                {
                    if (pattern.Regex.IsMatch(text))
                    {
                        return (pattern.Source, stream);
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                    // Not a match: a pattern that cannot decide in time decides nothing.
                }
            }
        }
        return null;
    }

    /// <summary>The last <paramref name="count"/> lines of <paramref name="text"/> (a final newline does not start another line).</summary>
    internal static string LastLines(string text, int count)
    {
        var end = text.EndsWith('\n') ? text.Length - 1 : text.Length;
        var start = end;
        for (var found = 0; start > 0; start--)
        {
            if (text[start - 1] == '\n' && ++found == count)
            {
                break;
            }
        }
        return text[start..];
    }
}

/// <summary>The end of one tapped stream in an attempt's report: its last lines, and how many bytes it wrote in all.</summary>
public sealed record OutputTail(string Stream, string Text, long TotalBytes);
