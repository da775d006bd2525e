namespace BudgetRun.Engine.Processes;

/// <summary>Which of the child's output streams budget-run taps (<c>--match-stream</c>).</summary>
[Flags]
public enum OutputStreams
{
    /// <summary>Neither: stdout and stderr are inherited, budget-run is not in their path.</summary>
    None = 0,
    Stdout = 1,
    Stderr = 2,
    Both = Stdout | Stderr,
}

/// <summary>
/// The end of one tapped stream of an attempt: its last <see cref="OutputTap.KeepBytes"/> bytes at
/// most. <paramref name="Stream"/> is <c>stdout</c>, <c>stderr</c>, or <c>stdout+stderr</c> when
/// the two went to the same file and were tapped as one, in their order.
/// </summary>
public sealed record CapturedStream(string Stream, byte[] Tail, long TotalBytes);
