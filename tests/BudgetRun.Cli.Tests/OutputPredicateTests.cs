using System.Security.Cryptography;
using System.Text;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>--retry-if-output</c>, <c>--no-retry-if-output</c>, <c>--match-stream</c> and
/// <c>--report-output-tail</c>, against the real binary and real children: the rule's precedence
/// (a veto first, a match overrules the exit code, no match ends the run), the last 64 KiB only,
/// binary and interleaved output still passed on byte for byte and in order, a broken pipe on
/// budget-run's side reaching the child, a descendant holding the pipe, and every bad value.
/// </summary>
public sealed class OutputPredicateTests : CliTest
{
    private static readonly string[] Fast = ["--base-delay", "10ms", "--max-delay", "20ms"];

    [Fact]
    public async Task AMatchOnStderr_Retries_AndTheReportSaysWhichRuleDecided()
    {
        var report = Scratch.Path("run.json");
        var result = await RunAsync(["--max-attempts", "3", .. Fast, "--report", report, "--retry-if-output", "HTTP 50[23]",
            "--", "sh", "-c", "echo working; echo 'upstream said HTTP 503, busy' >&2; exit 1"]);

        result.AssertExitCode(1).AssertNoStackTrace();
        Assert.Equal("working\nworking\nworking\n", result.StdoutText);
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        Assert.Equal(3, loaded.Attempts.Count);
        Assert.All(loaded.Attempts, attempt => Assert.Equal("--retry-if-output 'HTTP 50[23]' matched stderr", loaded.Text(attempt, "outputRule")));
        Assert.Contains("attempt 1's output: --retry-if-output 'HTTP 50[23]' matched stderr", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, result.StderrLines.Count(line => line == "upstream said HTTP 503, busy"));
    }

    [Fact]
    public async Task NoMatch_EndsTheRunAfterOneAttempt_WithTheChildsCode()
    {
        var report = Scratch.Path("run.json");
        var result = await RunAsync(["--max-attempts", "5", .. Fast, "--report", report, "--retry-if-output", "HTTP 503", "--retry-if-output", "(?i)rate limit",
            "--", "sh", "-c", "echo 'HTTP 400: bad request' >&2; exit 4"]);

        result.AssertExitCode(4);
        var loaded = RunReport.Load(report);
        Assert.Equal("notRetryable", loaded.Outcome);
        Assert.Single(loaded.Attempts);
        Assert.Equal("no --retry-if-output matched", loaded.Text(loaded.Attempts[0], "outputRule"));
        Assert.Contains("attempt 1 ended with exit code 4 and no --retry-if-output matched", result.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task EachPattern_IsTried_CaseOptionsAndLineAnchorsWork()
    {
        var result = await RunAsync(["--max-attempts", "2", .. Fast, "--retry-if-output", "HTTP 503", "--retry-if-output", "(?i)^error: RATE LIMIT$",
            "--", "sh", "-c", "printf 'first line\\nError: rate limit\\nlast line\\n' >&2; exit 1"]);

        result.AssertExitCode(1);
        Assert.Contains("attempt 1's output: --retry-if-output '(?i)^error: RATE LIMIT$' matched stderr", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("all 2 attempts failed", result.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMatch_OverrulesTheExitCodePolicy_ButSuccessIsNeverJudged()
    {
        // 3 is in --no-retry-on and 127 is never retried by default: the output's say comes first.
        var overruled = await RunAsync(["--max-attempts", "2", .. Fast, "--no-retry-on", "3", "--retry-if-output", "try again",
            "--", "sh", "-c", "echo 'please try again' >&2; exit 3"]);
        overruled.AssertExitCode(3);
        Assert.Contains("all 2 attempts failed", overruled.StderrLines[^1], StringComparison.Ordinal);

        var notFound = await RunAsync(["--max-attempts", "2", .. Fast, "--retry-if-output", "try again",
            "--", "sh", "-c", "echo 'please try again' >&2; exit 127"]);
        notFound.AssertExitCode(127);
        Assert.Contains("all 2 attempts failed", notFound.StderrLines[^1], StringComparison.Ordinal);

        var succeeded = await RunAsync(["--max-attempts", "3", .. Fast, "--no-retry-if-output", "fatal", "--retry-if-output", "x",
            "--", "sh", "-c", "echo 'fatal but fine' >&2; exit 0"]);
        succeeded.AssertExitCode(0);
        Assert.DoesNotContain("'s output:", succeeded.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVeto_BeatsARetryMatch_AndWithoutAMatchTheExitCodeDecides()
    {
        var vetoed = await RunAsync(["--max-attempts", "3", .. Fast, "--retry-if-output", "HTTP 5..", "--no-retry-if-output", "quota exceeded",
            "--", "sh", "-c", "echo 'HTTP 503: quota exceeded for this month' >&2; exit 1"]);
        vetoed.AssertExitCode(1);
        Assert.Contains("notRetryable (exit 1): attempt 1 ended with exit code 1 and --no-retry-if-output 'quota exceeded' matched stderr", vetoed.StderrLines[^1], StringComparison.Ordinal);

        // Only a veto given: output that does not match leaves the run to the exit-code policy.
        var policy = await RunAsync(["--max-attempts", "3", .. Fast, "--no-retry-if-output", "quota exceeded",
            "--", "sh", "-c", "echo 'HTTP 503' >&2; exit 1"]);
        policy.AssertExitCode(1);
        Assert.Contains("all 3 attempts failed", policy.StderrLines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("'s output:", policy.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyTheLast64KiB_AreJudged()
    {
        // 100 KiB after the marker push it out of the window; the same marker at the end is in it.
        var early = await RunAsync(["--max-attempts", "3", .. Fast, "--retry-if-output", "MARKER",
            "--", "sh", "-c", "echo MARKER >&2; head -c 102400 /dev/zero | tr '\\0' 'x' >&2; exit 1"]);
        early.AssertExitCode(1);
        Assert.Contains("no --retry-if-output matched", early.StderrLines[^1], StringComparison.Ordinal);

        var late = await RunAsync(["--max-attempts", "2", .. Fast, "--retry-if-output", "MARKER",
            "--", "sh", "-c", "head -c 102400 /dev/zero | tr '\\0' 'x' >&2; echo MARKER >&2; exit 1"]);
        late.AssertExitCode(1);
        Assert.Contains("all 2 attempts failed", late.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManySmallWrites_AreAllPassedOn_AndTheTailStillHoldsTheEnd()
    {
        // 20,000 writes of a few bytes each fill the side pipe's slots long before its bytes.
        var report = Scratch.Path("run.json");
        var result = await RunAsync(["--max-attempts", "1", "--report", report, "--report-output-tail", "2", "--match-stream", "stdout",
            "--retry-if-output", "line 20000", "--", "sh", "-c", "i=1; while [ $i -le 20000 ]; do echo \"line $i\"; i=$((i+1)); done"]);

        result.AssertExitCode(0);
        var expected = string.Concat(Enumerable.Range(1, 20000).Select(i => $"line {i}\n"));
        Assert.Equal(expected, result.StdoutText);
        var tail = RunReport.Load(report).Attempts[0].GetProperty("outputTail")[0];
        Assert.Equal("stdout", tail.GetProperty("stream").GetString());
        Assert.Equal("line 19999\nline 20000\n", tail.GetProperty("text").GetString());
        Assert.Equal(expected.Length, tail.GetProperty("totalBytes").GetInt64());
    }

    [Fact]
    public async Task MatchStream_ChoosesWhatIsJudged()
    {
        string[] script = ["sh", "-c", "echo 'in stdout: busy'; echo 'in stderr: fine' >&2; exit 1"];
        var stdout = await RunAsync(["--max-attempts", "2", .. Fast, "--match-stream", "stdout", "--retry-if-output", "busy", "--", .. script]);
        Assert.Contains("--retry-if-output 'busy' matched stdout", stdout.Stderr, StringComparison.Ordinal);
        Assert.Equal("in stdout: busy\nin stdout: busy\n", stdout.StdoutText);

        var stderr = await RunAsync(["--max-attempts", "2", .. Fast, "--retry-if-output", "busy", "--", .. script]);
        Assert.Contains("no --retry-if-output matched", stderr.StderrLines[^1], StringComparison.Ordinal);

        var both = await RunAsync(["--max-attempts", "2", .. Fast, "--match-stream", "both", "--retry-if-output", "busy", "--retry-if-output", "fine", "--", .. script]);
        Assert.Contains("--retry-if-output 'busy' matched stdout", both.Stderr, StringComparison.Ordinal);
        Assert.Equal("in stdout: busy\nin stdout: busy\n", both.StdoutText);
    }

    [Fact]
    public async Task BinaryOutput_PassesThroughByteForByte_AndUtf8TextAfterItStillMatches()
    {
        var blob = new byte[3 << 20];
        new Random(7).NextBytes(blob);
        var file = Scratch.Path("blob.bin");
        await File.WriteAllBytesAsync(file, blob);
        var expected = blob.Concat(Encoding.UTF8.GetBytes("Dienst überlastet\n")).ToArray();

        var result = await RunAsync(["--max-attempts", "2", .. Fast, "--match-stream", "both", "--retry-if-output", "überlastet$",
            "--", "sh", "-c", $"cat '{file}'; echo 'Dienst überlastet'; exit 1"]);

        result.AssertExitCode(1);
        Assert.Equal(expected.Length * 2, result.Stdout.Length);
        var once = Convert.ToHexString(SHA256.HashData(expected));
        Assert.Equal(once, Convert.ToHexString(SHA256.HashData(result.Stdout.AsSpan(0, expected.Length))));
        Assert.Equal(once, Convert.ToHexString(SHA256.HashData(result.Stdout.AsSpan(expected.Length))));
        Assert.Contains("--retry-if-output 'überlastet$' matched stdout", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InterleavedStdoutAndStderr_ToOneFile_KeepTheirOrderExactly()
    {
        // budget-run's stdout and stderr are one file (2>&1): the child's two streams are tapped as
        // one pipe, so 2,000 alternating lines arrive in the order they were written.
        var output = Scratch.Path("all.txt");
        var child = Scratch.Write("alternate.sh", """
            i=1
            while [ $i -le 1000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done
            exit 1
            """);
        var result = await BudgetRunProcess.RunProgramAsync("sh", ["-c", $"exec \"$0\" \"$@\" > '{output}' 2>&1", Executables.BudgetRun,
            "--log-format", "json", "--max-attempts", "1", "--retry-if-output", "err 1000", "--", "sh", child]);

        result.AssertExitCode(1);
        var childLines = File.ReadAllLines(output).Where(line => !line.StartsWith('{')).ToArray();
        var expected = Enumerable.Range(1, 1000).SelectMany(i => new[] { $"out {i}", $"err {i}" }).ToArray();
        Assert.Equal(expected, childLines);
        Assert.Contains("--retry-if-output 'err 1000' matched stdout+stderr", File.ReadAllText(output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AtATerminal_WhichTakesNoSplice_OutputStillPassesAndMatches()
    {
        // stdout and stderr are the same terminal: one tap, copied with read and write.
        using var shell = await PtyShell.StartAsync(Scratch, [Executables.BudgetRun, "--max-attempts", "2", .. Fast, "--retry-if-output", "^busy$",
            "--", "sh", "-c", "echo \"to the terminal $BUDGET_RUN_ATTEMPT\"; echo busy >&2; exit 3"]);

        var exited = await shell.NextAsync("exited");

        Assert.Equal(3, exited.GetProperty("status").GetInt32());
        var output = exited.GetProperty("output").GetString()!;
        Assert.Contains("to the terminal 1\r\nbusy\r\n", output, StringComparison.Ordinal);
        Assert.Contains("to the terminal 2\r\nbusy\r\n", output, StringComparison.Ordinal);
        Assert.Contains("--retry-if-output '^busy$' matched stdout+stderr", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileOpenedForAppending_WhichTakesNoSplice_GetsEveryByte()
    {
        var output = Scratch.Write("out.txt", "before\n");
        var result = await BudgetRunProcess.RunProgramAsync("sh", ["-c", $"exec \"$0\" \"$@\" >> '{output}'", Executables.BudgetRun,
            "--max-attempts", "2", .. Fast, "--match-stream", "stdout", "--retry-if-output", "again",
            "--", "sh", "-c", "head -c 200000 /dev/zero | tr '\\0' 'z'; echo; echo again; exit 1"]);

        result.AssertExitCode(1);
        var once = new string('z', 200000) + "\nagain\n";
        Assert.Equal("before\n" + once + once, File.ReadAllText(output));
    }

    [Fact]
    public async Task WhenWhoeverReadsBudgetRunsOutputGoes_TheChildMeetsABrokenPipe()
    {
        // `budget-run ... -- yes | head -n 1`: without budget-run in between, yes would die of SIGPIPE;
        // it still does, at once, and the run ends.
        var result = await BudgetRunProcess.RunProgramAsync("sh", ["-c", "\"$0\" \"$@\" | head -n 1", Executables.BudgetRun,
            "--max-attempts", "1", "--match-stream", "stdout", "--retry-if-output", "never", "--", "yes"], new RunSettings { Timeout = TimeSpan.FromSeconds(20) });

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal("y\n", result.StdoutText);
        Assert.Contains("attempt 1 ended with SIGPIPE (141)", result.Stderr, StringComparison.Ordinal);
        result.AssertFasterThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ADescendantHoldingThePipe_DoesNotHoldTheRun()
    {
        // The child leaves a sleeper behind with the pipe as its stderr: the sweep ends it, and what
        // was written before is still judged and passed on.
        var result = await RunAsync(["--max-attempts", "2", .. Fast, "--kill-grace", "2s", "--retry-if-output", "left behind",
            "--", "sh", "-c", "sleep 60 & echo 'a sleeper is left behind' >&2; exit 1"]);

        result.AssertExitCode(1);
        Assert.Equal(2, result.StderrLines.Count(line => line == "a sleeper is left behind"));
        Assert.Contains("all 2 attempts failed", result.StderrLines[^1], StringComparison.Ordinal);
        result.AssertFasterThan(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task ATimedOutAttempt_IsJudgedToo()
    {
        var result = await RunAsync(["--max-attempts", "2", .. Fast, "--attempt-timeout", "300ms", "--kill-grace", "1s", "--no-retry-if-output", "stuck for good",
            "--", "sh", "-c", "echo 'stuck for good' >&2; exec sleep 30"]);

        result.AssertExitCode(124);
        Assert.Contains("attempt 1 ended with a timeout (124) and --no-retry-if-output 'stuck for good' matched stderr", result.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportOutputTail_KeepsTheLastLinesOfEachAttempt()
    {
        var report = Scratch.Path("run.json");
        var result = await RunAsync(["--max-attempts", "2", .. Fast, "--report", report, "--report-output-tail", "3",
            "--", "sh", "-c", "echo ignored; for i in 1 2 3 4 5; do echo \"attempt $BUDGET_RUN_ATTEMPT line $i\" >&2; done; printf 'no newline' >&2; exit 1"]);

        result.AssertExitCode(1);
        var loaded = RunReport.Load(report);
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var tails = loaded.Attempts[attempt - 1].GetProperty("outputTail");
            Assert.Equal(1, tails.GetArrayLength());
            Assert.Equal("stderr", tails[0].GetProperty("stream").GetString());
            Assert.Equal($"attempt {attempt} line 4\nattempt {attempt} line 5\nno newline", tails[0].GetProperty("text").GetString());
            Assert.False(loaded.Has(loaded.Attempts[attempt - 1], "outputRule"), loaded.Json);
        }
        Assert.Equal("ignored\nignored\n", result.StdoutText);
    }

    [Fact]
    public async Task WithoutTheseFlags_TheReportHasNoOutputFields()
    {
        var report = Scratch.Path("run.json");
        var result = await RunAsync(["--max-attempts", "1", "--report", report, "--", "sh", "-c", "echo hi >&2; exit 1"]);

        result.AssertExitCode(1);
        var loaded = RunReport.Load(report);
        Assert.False(loaded.Has(loaded.Attempts[0], "outputTail"), loaded.Json);
        Assert.False(loaded.Has(loaded.Attempts[0], "outputRule"), loaded.Json);
    }

    [Theory]
    [InlineData("--retry-if-output", "(unclosed", "--retry-if-output: '(unclosed' is not a valid pattern")]
    [InlineData("--retry-if-output", "(a)\\1", "linear-time matcher")]
    [InlineData("--no-retry-if-output", "(?=ahead)x", "linear-time matcher")]
    [InlineData("--retry-if-output", "", "--retry-if-output: the pattern is empty")]
    [InlineData("--match-stream", "stdout", "--match-stream: it chooses the output of")]
    [InlineData("--report-output-tail", "3", "--report-output-tail: the tail is kept in the report; give --report PATH too")]
    public async Task BadValues_AreOneLineUsageErrors_AndNothingStarts(string flag, string value, string message)
    {
        var marker = Scratch.Path("started");
        var result = await RunAsync([flag, value, "--", "sh", "-c", $"touch '{marker}'"]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Contains(message, result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData("--match-stream", "stdin", "--match-stream: 'stdin' is not one of stdout, stderr, both")]
    [InlineData("--report-output-tail", "0", "--report-output-tail")]
    [InlineData("--report-output-tail", "1001", "--report-output-tail")]
    [InlineData("--report-output-tail", "lots", "--report-output-tail")]
    public async Task BadValuesAlongsideAPredicate_AreUsageErrors(string flag, string value, string message)
    {
        var result = await RunAsync(["--retry-if-output", "x", "--report", Scratch.Path("r.json"), flag, value, "--", "true"]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Contains(message, result.AssertOneStderrLine(), StringComparison.Ordinal);
    }
}
