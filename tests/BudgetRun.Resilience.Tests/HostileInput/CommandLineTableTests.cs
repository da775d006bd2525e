using BudgetRun.Resilience.Tests.Infrastructure;

namespace BudgetRun.Resilience.Tests.HostileInput;

/// <summary>
/// Hostile input on the command line and in the environment: every bad value below (numbers,
/// durations, exit-code lists, ledger and Pushgateway URIs, listen addresses, token files that are
/// missing, empty, short, huge or not ASCII, budget keys and windows, subcommands without what
/// they need) ends with exit 2, exactly one line on stderr that names the flag or variable, no
/// stack trace, nothing on stdout, and nothing started: the command would create its counter file.
/// </summary>
public sealed class CommandLineTableTests : ResilienceTest
{
    /// <summary>Placeholders in <see cref="BadInputs"/>: the test's counting child, and token files made on the spot.</summary>
    private const string ChildCommand = "{child}";

    /// <summary>(what the error line must name, NAME=VALUE or "", the arguments).</summary>
    public static TheoryData<string, string, string[]> BadInputs => new()
    {
        // whole numbers
        { "--max-attempts", "", ["--max-attempts", "abc", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "2.5", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "1e99", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts=-1", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "0", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "0x10", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "+3", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", " 3", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "2147483648", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "99999999999999999999", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "\uff13", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts", "", ChildCommand] },
        { "--max-cost-cents", "", ["--max-cost-cents=-1", ChildCommand] },
        { "--max-cost-cents", "", ["--max-cost-cents", "1000000000000000001", ChildCommand] },
        { "--max-cost-cents", "", ["--max-cost-cents", "NaN", ChildCommand] },
        { "--cost-per-attempt-cents", "", ["--cost-per-attempt-cents", "Infinity", ChildCommand] },
        { "--cost-per-attempt-cents", "", ["--cost-per-attempt-cents", "1,000", ChildCommand] },
        { "--cost-per-attempt-cents", "", ["--cost-per-attempt-cents", "\u0663", ChildCommand] },
        { "MAX_ATTEMPTS", "MAX_ATTEMPTS=abc", [ChildCommand] },
        { "MAX_COST_CENTS", "MAX_COST_CENTS=-5", [ChildCommand] },
        { "COST_PER_ATTEMPT_CENTS", "COST_PER_ATTEMPT_CENTS=1.5", [ChildCommand] },
        // durations
        { "--base-delay", "", ["--base-delay", "0s", ChildCommand] },
        { "--base-delay", "", ["--base-delay=-1s", ChildCommand] },
        { "--base-delay", "", ["--base-delay", "1", ChildCommand] },
        { "--base-delay", "", ["--base-delay", "1d", ChildCommand] },
        { "--max-delay", "", ["--max-delay", "169h", ChildCommand] },
        { "--max-delay", "", ["--max-delay", "100000000000000000000000000000h", ChildCommand] },
        { "--attempt-timeout", "", ["--attempt-timeout", "1e3ms", ChildCommand] },
        { "--deadline", "", ["--deadline", "1 s", ChildCommand] },
        { "--kill-grace", "", ["--kill-grace", "1S", ChildCommand] },
        { "--reset-after", "", ["--reset-after", "0.00001ms", ChildCommand] },
        { "--push-interval", "", ["--push-interval", "soon", ChildCommand] },
        { "--reservation-ttl", "", ["--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--reservation-ttl", "0ms", ChildCommand] },
        { "--reservation-ttl", "", ["--reservation-ttl", "abc", ChildCommand] },
        { "--ledger-timeout", "", ["--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--ledger-timeout", "500ms", ChildCommand] },
        { "--ledger-timeout", "", ["--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--ledger-timeout", "6m", ChildCommand] },
        { "--ledger-timeout", "", ["--budget-key", "job", "--ledger-timeout", "never", ChildCommand] },
        { "--ledger-timeout", "", ["--ledger-timeout", "2s", ChildCommand] },
        // exit-code lists
        { "--retry-on", "", ["--retry-on", "0", ChildCommand] },
        { "--retry-on", "", ["--retry-on", "256", ChildCommand] },
        { "--retry-on", "", ["--retry-on", "1,,2", ChildCommand] },
        { "--retry-on", "", ["--retry-on", "1;2", ChildCommand] },
        { "--retry-on", "", ["--retry-on", "", ChildCommand] },
        { "--no-retry-on", "", ["--no-retry-on=-1", ChildCommand] },
        { "--no-retry-on", "", ["--no-retry-on", "1-3", ChildCommand] },
        // ledger and Pushgateway URIs
        { "--ledger", "", ["--budget-key", "job", "--ledger", "ftp://host/ledger", ChildCommand] },
        { "--ledger", "", ["--budget-key", "job", "--ledger", "redis://", ChildCommand] },
        { "--ledger", "", ["--budget-key", "job", "--ledger", "redis://user:hunter2@127.0.0.1:6379", ChildCommand] },
        { "--ledger", "", ["--budget-key", "job", "--ledger", "redis://127.0.0.1:6379/x", ChildCommand] },
        { "--ledger", "", ["--budget-key", "job", "--ledger", "redis://127.0.0.1:6379/0?ssl=true", ChildCommand] },
        { "--ledger", "", ["--budget-key", "job", "--ledger", "/var/lib/ledger.db", ChildCommand] },
        { "--ledger", "", ["--budget-key", "job", "--ledger", "sqlite:{scratch}/dir/", ChildCommand] },
        { "--ledger", "", ["--budget-key", "job", "--ledger", "sqlite://relative/ledger.db", ChildCommand] },
        { "BUDGET_RUN_LEDGER", "BUDGET_RUN_LEDGER=mysql://db/ledger", ["--budget-key", "job", ChildCommand] },
        { "--ledger", "", ["--ledger", "ftp://host/ledger", ChildCommand] },
        { "--pushgateway", "", ["--pushgateway", "ftp://gateway:9091", ChildCommand] },
        { "--pushgateway", "", ["--pushgateway", "not a url", ChildCommand] },
        { "BUDGET_RUN_PUSHGATEWAY", "BUDGET_RUN_PUSHGATEWAY=gateway:9091", [ChildCommand] },
        // listen addresses
        { "--listen", "", ["--listen", "65536", ChildCommand] },
        { "--listen", "", ["--listen", "abc", ChildCommand] },
        { "--listen", "", ["--listen", "127.0.0.1", ChildCommand] },
        { "--listen", "", ["--listen", "127.0.0.1:99999", ChildCommand] },
        { "--listen", "", ["--listen", "::1:9090", ChildCommand] },
        { "--listen", "", ["--listen", "999.1.1.1:80", ChildCommand] },
        { "--listen", "", ["--listen", "127.0.0.1:80x", ChildCommand] },
        { "--listen", "", ["--listen", "0.0.0.0:0", ChildCommand] },
        { "--listen", "", ["--listen", "[::]:0", ChildCommand] },
        { "BUDGET_RUN_LISTEN", "BUDGET_RUN_LISTEN=0.0.0.0:9464", [ChildCommand] },
        { "BUDGET_RUN_LISTEN", "BUDGET_RUN_LISTEN=:9464", [ChildCommand] },
        // control tokens
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:missing}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:empty}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:whitespace}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:short}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:4097}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:huge}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:non-ascii}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{token:binary}", ChildCommand] },
        { "--control-token-file", "", ["--listen", "127.0.0.1:0", "--control-token-file", "{scratch}", ChildCommand] },
        { "BUDGET_RUN_CONTROL_TOKEN", "BUDGET_RUN_CONTROL_TOKEN=short", ["--listen", "127.0.0.1:0", ChildCommand] },
        { "BUDGET_RUN_CONTROL_TOKEN", "BUDGET_RUN_CONTROL_TOKEN=has a space inside 1234567890", ["--listen", "127.0.0.1:0", ChildCommand] },
        // budget keys, windows and the rest
        { "--budget-key", "", ["--budget-key", "", ChildCommand] },
        { "--budget-key", "", ["--budget-key=-job", ChildCommand] },
        { "--budget-key", "", ["--budget-key", "white space", ChildCommand] },
        { "--budget-key", "", ["--budget-key", new string('k', 201), ChildCommand] },
        { "--budget-key", "", ["--budget-key", "a/b/c/d/e/f/g/h/i", "--ledger", "sqlite:{scratch}/ledger.db", ChildCommand] },
        { "BUDGET_RUN_BUDGET_KEY", "BUDGET_RUN_BUDGET_KEY=a/b/c/d/e/f/g/h/i/j", ["--ledger", "sqlite:{scratch}/ledger.db", ChildCommand] },
        { "BUDGET_RUN_BUDGET_KEY", "BUDGET_RUN_BUDGET_KEY=bad key!", [ChildCommand] },
        { "--budget-window", "", ["--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--budget-window", "0h", ChildCommand] },
        { "--budget-window", "", ["--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--budget-window", "1w", ChildCommand] },
        { "--budget-window", "", ["--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--budget-window", "1.5h", ChildCommand] },
        { "--budget-window", "", ["--budget-window", "1h", ChildCommand] },
        { "--log-format", "", ["--log-format", "xml", ChildCommand] },
        { "--name", "", ["--name", "bad name!", ChildCommand] },
        { "--name", "", ["--name", "", ChildCommand] },
        { "--report", "", ["--report", "", ChildCommand] },
        { "--report", "", ["--report", "{scratch}", ChildCommand] },
        { "--jitter", "", ["--jitter=maybe", ChildCommand] },
        { "--jitter", "", ["--jitter=", ChildCommand] },
        { "--frobnicate", "", ["--frobnicate", ChildCommand] },
        { "--max-attempts", "", ["--max-attempts"] },
        { "command", "", ["--max-attempts", "2"] },
        { "command", "", ["--max-attempts", "2", "--", ""] },
        // subcommands
        { "--listen", "", ["serve", "--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db"] },
        { "--budget-key", "", ["serve", "--listen", "127.0.0.1:0", "--ledger", "sqlite:{scratch}/ledger.db"] },
        { "--listen", "", ["serve", "--listen", "0.0.0.0:0", "--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db"] },
        { "--max-cost-cents", "", ["serve", "--listen", "127.0.0.1:0", "--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--max-cost-cents", "-1"] },
        { "--budget-key", "", ["status"] },
        { "--ledger-timeout", "", ["status", "--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--ledger-timeout", "0s"] },
        { "--ledger-timeout", "", ["serve", "--listen", "127.0.0.1:0", "--budget-key", "job", "--ledger", "sqlite:{scratch}/ledger.db", "--ledger-timeout", "10m"] },
        { "--budget-key", "", ["kill", "--budget-key", "bad key!"] },
        { "--ledger", "", ["resume", "--budget-key", "job", "--ledger", "gopher://x"] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadValue_Exits2_WithOneLineNamingIt_NoStackTrace_NothingStarted(string named, string environment, string[] args)
    {
        var started = Scratch.Path("started");
        var expanded = args.SelectMany(arg => arg == ChildCommand
            ? ["--", .. Child("--count", started, "exit", "0")]
            : new[] { Expand(arg) }).ToArray();
        var variables = new Dictionary<string, string?>();
        if (environment.Length > 0)
        {
            var (name, value) = (environment[..environment.IndexOf('=', StringComparison.Ordinal)], environment[(environment.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            variables[name] = value;
        }

        var result = await RunToEndAsync(expanded, variables, TimeSpan.FromSeconds(20));

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.True(line.Contains(named, StringComparison.Ordinal), $"the error line does not name {named}: {line}");
        Assert.DoesNotContain("hunter2", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(started), $"the command was started despite the usage error\n{result}");
        Assert.False(File.Exists(Scratch.Path("ledger.db")), $"a ledger was created despite the usage error\n{result}");
    }

    [Fact]
    public async Task TokenFileReadableByEveryone_IsWarnedAboutInOneLine_AndTheRunGoesOn()
    {
        var path = Scratch.Path("token");
        File.WriteAllText(path, ControlToken);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = await RunToEndAsync(["--listen", "127.0.0.1:0", "--control-token-file", path, "--max-attempts", "1",
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(0).AssertNoStackTrace();
        var warning = Assert.Single(result.StderrLines, line => line.Contains("readable by other users", StringComparison.Ordinal));
        Assert.Contains(path, warning, StringComparison.Ordinal);
        Assert.DoesNotContain(ControlToken, result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, Scratch.Count("started"));
    }

    /// <summary>Makes the files the placeholders name.</summary>
    private string Expand(string arg)
    {
        if (arg.StartsWith("{token:", StringComparison.Ordinal))
        {
            var kind = arg["{token:".Length..^1];
            var path = Scratch.Path("token-" + kind);
            if (kind != "missing")
            {
                byte[] content = kind switch
                {
                    "empty" => [],
                    "whitespace" => " \n\t \n"u8.ToArray(),
                    "short" => "abcdefghijklmno"u8.ToArray(),
                    "4097" => System.Text.Encoding.ASCII.GetBytes(new string('k', 4097)),
                    "huge" => System.Text.Encoding.ASCII.GetBytes(new string('k', 1 << 20)),
                    "non-ascii" => System.Text.Encoding.UTF8.GetBytes("abcdefghijklmnopqrst\u00fcvwxyz"),
                    "binary" => [0xff, 0xfe, 0x00, 0x01, .. "abcdefghijklmnopqrstuvwxyz"u8.ToArray(), 0x80],
                    _ => throw new ArgumentException($"unknown token file {kind}"),
                };
                File.WriteAllBytes(path, content);
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            return path;
        }
        return arg.Replace("{scratch}", Scratch.Directory, StringComparison.Ordinal);
    }
}
