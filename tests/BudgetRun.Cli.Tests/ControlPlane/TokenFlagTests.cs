using System.Net;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// <c>--control-token-file</c> and <c>BUDGET_RUN_CONTROL_TOKEN</c>: 16 to 4096 printable ASCII
/// characters; anything else is a usage error that never echoes the token.
/// </summary>
public sealed class TokenFlagTests : ControlPlaneTest
{
    public static TheoryData<string, string> BadTokens => new()
    {
        { "empty", "" },
        { "whitespace only", "   \n\t\n" },
        { "15 characters", "abcdefghijklmno" },
        { "4097 characters", new string('k', 4097) },
        { "a space inside", "abcdefgh ijklmnopqrstuvwxyz" },
        { "non-ASCII", "abcdefghijklmnopqrstüvwxyz" },
        { "a control character", "abcdefghijkl\u0001mnopqrstuvwxyz" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task BadTokenFile_IsUsageError_OneLine_NotEchoingTheToken(string what, string token)
    {
        _ = what; // names the case in the test list
        var result = await RunCleanAsync([.. Loopback, "--control-token-file", TokenFile(token),
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--control-token-file", token);
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task BadTokenInTheEnvironment_IsUsageError_OneLine_NotEchoingTheToken(string what, string token)
    {
        _ = what; // names the case in the test list
        if (token.Length == 0)
        {
            return; // an empty variable counts as unset (README)
        }
        var result = await RunCleanAsync([.. Loopback, "--", .. Child("--count", Scratch.Path("started"), "exit", "0")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = token });

        AssertUsageError(result, "BUDGET_RUN_CONTROL_TOKEN", token);
    }

    [Fact]
    public async Task MissingTokenFile_IsUsageError()
    {
        var result = await RunCleanAsync([.. Loopback, "--control-token-file", Scratch.Path("no-such-token"),
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--control-token-file", null);
    }

    [Fact]
    public async Task TokenFileOver4KiB_IsUsageError()
    {
        // 4096 token characters are allowed, but not a file of more than 4096 bytes.
        var result = await RunCleanAsync([.. Loopback, "--control-token-file", TokenFile(new string('k', 5000)),
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--control-token-file", null);
    }

    [Fact]
    public async Task TokenFileOfExactly4096Characters_IsAccepted()
    {
        var token = new string('k', 4096);
        using var run = Start([.. Loopback, "--control-token-file", TokenFile(token), "--max-attempts", "1",
            "--", .. Child("sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);

        (await client.PostAsync("/kill", null, token)).AssertStatus(HttpStatusCode.Accepted);
        (await run.WaitAsync()).AssertExitCode(77);
    }

    [Fact]
    public async Task TokenFileWithATrailingNewline_IsTheTokenWithoutIt()
    {
        using var run = Start([.. Loopback, "--control-token-file", TokenFile(ControlToken + "\n"), "--max-attempts", "1",
            "--", .. Child("sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);

        (await client.PostAsync("/kill", null, ControlToken)).AssertStatus(HttpStatusCode.Accepted);
        (await run.WaitAsync()).AssertExitCode(77);
    }

    [Fact]
    public async Task TokenFileReadableByOthers_WarnsWithoutTheToken_ButRuns()
    {
        var path = TokenFile(mode: UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = await RunCleanAsync([.. Loopback, "--control-token-file", path, "--max-attempts", "1", "--", .. Child("exit", "0")]);

        result.AssertExitCode(0).AssertNoStackTrace();
        var warning = Assert.Single(result.StderrLines, line => line.Contains("readable by other users", StringComparison.Ordinal));
        Assert.Contains(path, warning, StringComparison.Ordinal);
        Assert.Contains("WRN", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(ControlToken, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenFileReadableByItsOwnerOnly_GivesNoWarning()
    {
        var result = await RunCleanAsync([.. Loopback, "--control-token-file", TokenFile(), "--max-attempts", "1", "--", .. Child("exit", "0")]);

        result.AssertExitCode(0);
        Assert.DoesNotContain("readable", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenFromTheEnvironment_EngagesTheKillSwitch()
    {
        using var run = Start([.. Loopback, "--max-attempts", "1", "--", .. Child("sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);

        (await client.PostAsync("/kill", null, ControlToken)).AssertStatus(HttpStatusCode.Accepted);
        (await run.WaitAsync()).AssertExitCode(77);
    }

    [Fact]
    public async Task TokenFile_WinsOverTheEnvironment()
    {
        var fromEnvironment = NewToken();
        using var run = Start([.. Loopback, "--control-token-file", TokenFile(), "--max-attempts", "1", "--", .. Child("sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = fromEnvironment });
        using var client = await ControlPlaneClient.ConnectAsync(run);

        var withEnvironmentToken = await client.PostAsync("/kill", null, fromEnvironment);
        var withFileToken = await client.PostAsync("/kill", null, ControlToken);

        withEnvironmentToken.AssertProblem(HttpStatusCode.Unauthorized);
        withFileToken.AssertStatus(HttpStatusCode.Accepted);
        (await run.WaitAsync()).AssertExitCode(77);
    }

    private void AssertUsageError(ProcessResult result, string named, string? token)
    {
        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.True(line.Contains(named, StringComparison.Ordinal), $"the error line does not name {named}: {line}");
        if (token is { Length: >= 4 } && token.Trim().Length > 0)
        {
            Assert.False(result.Stderr.Contains(token.Trim(), StringComparison.Ordinal), $"the error echoes the token\n{result}");
        }
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(Scratch.Path("started")), $"the command was started despite the usage error\n{result}");
    }
}
