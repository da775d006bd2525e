using System.Text;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>How a program run by <see cref="BudgetRunProcess"/> ended, and what it wrote.</summary>
/// <param name="ExitCode">The exit code, or 128 + N when it died of signal N.</param>
/// <param name="Stdout">Everything written to stdout, as bytes.</param>
/// <param name="Stderr">Everything written to stderr, as UTF-8 text.</param>
/// <param name="Elapsed">From just before the start to the exit.</param>
/// <param name="OutputComplete">False when stdout or stderr was still held open by a leftover process after the exit.</param>
internal sealed record ProcessResult(int ExitCode, byte[] Stdout, string Stderr, TimeSpan Elapsed, bool OutputComplete)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    /// <summary>The non-empty lines of stderr.</summary>
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Fails with the whole story (stderr included) unless the exit code is <paramref name="expected"/>.</summary>
    public ProcessResult AssertExitCode(int expected)
    {
        if (ExitCode != expected)
        {
            throw new XunitException($"expected exit code {expected}, got {ExitCode}\n{this}");
        }
        return this;
    }

    /// <summary>Fails unless stderr is exactly one non-empty line with no stack trace; returns the line.</summary>
    public string AssertOneStderrLine()
    {
        AssertNoStackTrace();
        if (StderrLines.Length != 1)
        {
            throw new XunitException($"expected exactly one line on stderr, got {StderrLines.Length}\n{this}");
        }
        return StderrLines[0];
    }

    public ProcessResult AssertNoStackTrace()
    {
        if (Stderr.Contains("   at ", StringComparison.Ordinal)
            || Stderr.Contains("Exception", StringComparison.Ordinal)
            || Stderr.Contains("Unhandled", StringComparison.OrdinalIgnoreCase))
        {
            throw new XunitException($"stderr holds a stack trace or an exception\n{this}");
        }
        return this;
    }

    public ProcessResult AssertFasterThan(TimeSpan limit)
    {
        if (Elapsed >= limit)
        {
            throw new XunitException($"expected an exit within {limit.TotalSeconds:0.###}s\n{this}");
        }
        return this;
    }

    public override string ToString() =>
        $"exit code {ExitCode} after {Elapsed.TotalSeconds:0.###}s{(OutputComplete ? "" : " (output still held open by a leftover process)")}\n"
        + $"--- stderr ---\n{Stderr}\n--- stdout ({Stdout.Length} bytes) ---\n{Preview(StdoutText)}";

    private static string Preview(string text) => text.Length <= 2000 ? text : text[..2000] + "...";
}
