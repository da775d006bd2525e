using System.Security.Cryptography;
using System.Text;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>stdin, stdout and stderr are the child's own; budget-run's log goes to stderr only.</summary>
public sealed class OutputTests : CliTest
{
    [Fact]
    public async Task TwoHundredThousandLines_PassThroughByteForByte()
    {
        const int lines = 200_000;
        var expected = new StringBuilder();
        for (var i = 1; i <= lines; i++)
        {
            expected.Append("line ").Append(i).Append('\n');
        }
        var expectedBytes = Encoding.ASCII.GetBytes(expected.ToString());

        var result = await RunAsync(["--max-attempts", "1", "--", .. Child("print-lines", "200000")]);

        result.AssertExitCode(0);
        Assert.True(result.OutputComplete);
        Assert.Equal(expectedBytes.Length, result.Stdout.Length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(expectedBytes)), Convert.ToHexString(SHA256.HashData(result.Stdout)));
    }

    [Fact]
    public async Task BinaryStdin_PassesThroughToStdoutByteForByte()
    {
        var input = new byte[1 << 20];
        new Random(42).NextBytes(input);

        var result = await BudgetRunProcess.RunAsync(["--max-attempts", "1", "--", .. Child("echo-stdin")],
            new RunSettings { Stdin = input });

        result.AssertExitCode(0);
        Assert.Equal(input.Length, result.Stdout.Length);
        Assert.True(input.AsSpan().SequenceEqual(result.Stdout), "stdout differs from stdin");
    }

    [Fact]
    public async Task Stdin_IsInherited_TheChildReadsWhatTheCallerWrites()
    {
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--", .. Child("echo-stdin")],
            new RunSettings { KeepStdinOpen = true });

        await run.Stdin.WriteAsync("hello\n"u8.ToArray());
        await run.Stdin.FlushAsync();
        await Task.Delay(200);
        await run.Stdin.WriteAsync("world\n"u8.ToArray());
        run.Stdin.Close();
        var result = await run.WaitAsync();

        result.AssertExitCode(0);
        Assert.Equal("hello\nworld\n", result.StdoutText);
    }

    [Fact]
    public async Task ChildStderr_PassesThrough_AndStdoutStaysClean()
    {
        var result = await RunAsync(["--max-attempts", "1", "--", .. Child("print-stderr", "marker-from-the-child")]);

        result.AssertExitCode(0);
        Assert.Contains("marker-from-the-child", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task OwnLogLines_GoToStderrOnly_StdoutHoldsOnlyTheChildsBytes(string format)
    {
        var result = await RunAsync(["--log-format", format, "--max-attempts", "3", "--base-delay", "10ms",
            "--", "sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 1"]);

        result.AssertExitCode(1);
        Assert.Equal("out\nout\nout\n", result.StdoutText);
        Assert.Equal(3, result.StderrLines.Count(line => line == "err"));
        Assert.True(result.StderrLines.Any(line => line != "err"), $"budget-run logged nothing about its attempts\n{result}");
    }

    [Fact]
    public async Task OutputWithoutTrailingNewline_IsNotAltered()
    {
        var result = await RunAsync(["--max-attempts", "1", "--", "printf", "no newline \\0 \\377 end"]);

        result.AssertExitCode(0);
        Assert.Equal([.. "no newline "u8.ToArray(), 0, (byte)' ', 0xff, .. " end"u8.ToArray()], result.Stdout);
    }

    [Fact]
    public async Task Environment_IsPassedToTheChild()
    {
        var result = await RunWithEnvironmentAsync(new Dictionary<string, string?> { ["BUDGET_RUN_TEST_VALUE"] = "a b=c" },
            ["--max-attempts", "1", "--", .. Child("print-env", "BUDGET_RUN_TEST_VALUE")]);

        result.AssertExitCode(0);
        Assert.Equal("a b=c\n", result.StdoutText);
    }
}
