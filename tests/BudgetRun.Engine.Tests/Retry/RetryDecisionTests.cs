using BudgetRun.Engine.Retry;

namespace BudgetRun.Engine.Tests.Retry;

/// <summary>
/// The retry decision as a table: each row is one attempt and one state of the run, and the
/// verdict the rules give. Precedence: an attempt that ended the run, a stop request, success, the
/// exit-code policy, the cap, the budget, the deadline.
/// </summary>
public sealed class RetryDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(4);

    /// <summary>rule -> (attempt outcome, facts, verdict).</summary>
    private static readonly Dictionary<string, (AttemptOutcome Outcome, RetryFacts Facts, RetryVerdict Expected)> Rows = new()
    {
        ["success ends the run"] = (Failed(0, AttemptKind.Success), Facts(), End(RunOutcome.Succeeded, 0, "attempt 2 succeeded")),
        ["success wins over an exhausted cap"] = (Failed(0, AttemptKind.Success), Facts(counted: 3), End(RunOutcome.Succeeded, 0, "attempt 2 succeeded")),
        ["a retryable failure with room retries after the delay"] = (Failed(1), Facts(fits: true), new RetryVerdict.Retry(Delay)),
        ["the budget is asked only when it matters"] = (Failed(1), Facts(fits: null), new RetryVerdict.AskBudget()),
        ["a failure whose next attempt does not fit ends for the budget"] = (Failed(1), Facts(fits: false), new RetryVerdict.EndForBudget()),
        ["the cap decides before the budget"] = (Failed(1), Facts(counted: 3, fits: false),
            End(RunOutcome.AttemptsExhausted, 1, "all 3 attempts failed; the last ended with exit code 1")),
        ["the cap is not asked of the budget"] = (Failed(7), Facts(counted: 3, fits: null),
            End(RunOutcome.AttemptsExhausted, 7, "all 3 attempts failed; the last ended with exit code 7")),
        ["below the cap goes on"] = (Failed(1), Facts(counted: 2, fits: true), new RetryVerdict.Retry(Delay)),
        ["a --no-retry-on code ends at once"] = (Failed(3), Facts(fits: true), End(RunOutcome.NotRetryable, 3, "exit code 3 is not retried")),
        ["126 is never retried"] = (Failed(126), Facts(fits: true), End(RunOutcome.NotRetryable, 126, "exit code 126 is not retried")),
        ["127 is never retried, even at the cap"] = (Failed(127), Facts(counted: 3), End(RunOutcome.NotRetryable, 127, "exit code 127 is not retried")),
        ["a timeout is a failure with code 124"] = (Failed(0, AttemptKind.Timeout), Facts(fits: true), new RetryVerdict.Retry(Delay)),
        ["a signal death is its 128+N code"] = (Signalled(9), Facts(counted: 3),
            End(RunOutcome.AttemptsExhausted, 137, "all 3 attempts failed; the last ended with SIGKILL (137)")),
        ["a stop request ends without a reason of its own"] = (Failed(1), Facts(stop: true, fits: true), new RetryVerdict.Stop(null, null)),
        ["a stop request wins over success"] = (Failed(0, AttemptKind.Success), Facts(stop: true), new RetryVerdict.Stop(null, null)),
        ["no attempt started because of a stop"] = (AttemptOutcome.NotStarted, Facts(), new RetryVerdict.Stop(null, null)),
        ["no attempt started because its cost did not fit"] = (AttemptOutcome.Refused, Facts(), new RetryVerdict.EndForBudget()),
        ["a start failure ends the run with its code and message"] = (new AttemptOutcome(Attempt(127, AttemptKind.StartError), StartError: "job: command not found"), Facts(fits: true),
            End(RunOutcome.StartFailed, 127, "job: command not found")),
        ["a start failure wins over a stop request"] = (new AttemptOutcome(Attempt(126, AttemptKind.StartError), StartError: "job: permission denied"), Facts(stop: true),
            End(RunOutcome.StartFailed, 126, "job: permission denied")),
        ["Ctrl-C at the terminal is an interrupt, never retried"] = (new AttemptOutcome(Attempt(null, AttemptKind.Signal, signal: 2), InterruptedAtTerminal: true), Facts(fits: true),
            End(RunOutcome.Interrupted, 130, "the command was interrupted (SIGINT)")),
        ["a wait that would pass the deadline stops for it"] = (Failed(1), Facts(fits: true, deadlineIn: Delay),
            new RetryVerdict.Stop(StopReason.Deadline, "the next attempt would start after the run's deadline of 60s")),
        ["a wait that ends just before the deadline goes on"] = (Failed(1), Facts(fits: true, deadlineIn: Delay + TimeSpan.FromTicks(1)),
            new RetryVerdict.Retry(Delay)),
        ["the budget decides before the deadline"] = (Failed(1), Facts(fits: false, deadlineIn: TimeSpan.Zero), new RetryVerdict.EndForBudget()),
        ["the child's 'no retry' ends the run as not retryable"] = (Failed(1), Facts(fits: true, child: new(null, false, "HTTP 400 from upstream")),
            End(RunOutcome.NotRetryable, 1, "the child asked not to retry: HTTP 400 from upstream")),
        ["the child's 'no retry' wins over the cap"] = (Failed(1), Facts(counted: 3, child: new(null, false)),
            End(RunOutcome.NotRetryable, 1, "the child asked not to retry")),
        ["the child's 'no retry' does not undo a success"] = (Failed(0, AttemptKind.Success), Facts(child: new(null, false)),
            End(RunOutcome.Succeeded, 0, "attempt 2 succeeded")),
        ["the child's 'after' lengthens the wait"] = (Failed(1), Facts(fits: true, child: new(TimeSpan.FromSeconds(45))),
            new RetryVerdict.Retry(TimeSpan.FromSeconds(45), ChildAsked: true)),
        ["the child's 'after' never shortens the backoff"] = (Failed(1), Facts(fits: true, child: new(TimeSpan.FromSeconds(1))), new RetryVerdict.Retry(Delay)),
        ["the child's 'after' is capped at an hour"] = (Failed(1), Facts(fits: true, child: new(TimeSpan.FromHours(5))),
            new RetryVerdict.Retry(TimeSpan.FromHours(1), ChildAsked: true)),
        ["the child's 'after' still stops at the deadline"] = (Failed(1), Facts(fits: true, deadlineIn: TimeSpan.FromSeconds(30), child: new(TimeSpan.FromSeconds(45))),
            new RetryVerdict.Stop(StopReason.Deadline, "the next attempt would start after the run's deadline of 60s")),
        ["a --no-retry-if-output match ends the run with the attempt's code"] = (Judged(1, new(OutputVerdictKind.NoRetry, "quota", "stderr")), Facts(fits: true),
            End(RunOutcome.NotRetryable, 1, "attempt 2 ended with exit code 1 and --no-retry-if-output 'quota' matched stderr")),
        ["no --retry-if-output match ends the run"] = (Judged(4, new(OutputVerdictKind.NoMatch)), Facts(fits: true),
            End(RunOutcome.NotRetryable, 4, "attempt 2 ended with exit code 4 and no --retry-if-output matched")),
        ["a --retry-if-output match overrules a --no-retry-on code"] = (Judged(3, new(OutputVerdictKind.Retry, "503", "stderr")), Facts(fits: true), new RetryVerdict.Retry(Delay)),
        ["a --retry-if-output match overrules 127"] = (Judged(127, new(OutputVerdictKind.Retry, "503", "stderr")), Facts(fits: true), new RetryVerdict.Retry(Delay)),
        ["a --retry-if-output match still stops at the cap"] = (Judged(1, new(OutputVerdictKind.Retry, "503", "stderr")), Facts(counted: 3),
            End(RunOutcome.AttemptsExhausted, 1, "all 3 attempts failed; the last ended with exit code 1")),
        ["a --retry-if-output match still asks the budget"] = (Judged(1, new(OutputVerdictKind.Retry, "503", "stderr")), Facts(fits: false), new RetryVerdict.EndForBudget()),
        ["the child's 'no retry' wins over a --retry-if-output match"] = (Judged(1, new(OutputVerdictKind.Retry, "503", "stderr")), Facts(fits: true, child: new(null, false)),
            End(RunOutcome.NotRetryable, 1, "the child asked not to retry")),
        ["output is never judged against a success"] = (new AttemptOutcome(Attempt(0, AttemptKind.Success), Output: new(OutputVerdictKind.NoRetry, "x", "stderr")), Facts(),
            End(RunOutcome.Succeeded, 0, "attempt 2 succeeded")),
        ["a timed-out attempt's output is judged too"] = (new AttemptOutcome(Attempt(null, AttemptKind.Timeout), Output: new(OutputVerdictKind.NoRetry, "stuck", "stderr")), Facts(fits: true),
            End(RunOutcome.NotRetryable, 124, "attempt 2 ended with a timeout (124) and --no-retry-if-output 'stuck' matched stderr")),
        ["the child's 'after' does not get past the cap"] = (Failed(1), Facts(counted: 3, child: new(TimeSpan.FromSeconds(45))),
            End(RunOutcome.AttemptsExhausted, 1, "all 3 attempts failed; the last ended with exit code 1")),
    };

    public static TheoryData<string> Table() => [.. Rows.Keys];

    [Theory]
    [MemberData(nameof(Table))]
    public void Decide_GivesTheVerdictOfTheTable(string rule)
    {
        var (outcome, facts, expected) = Rows[rule];
        var decision = new RetryDecision(new ExitCodeClassifier(null, new HashSet<int> { 3 }), maxAttempts: 3, deadline: TimeSpan.FromMinutes(1));

        Assert.Equal(expected, decision.Decide(outcome, facts));
    }

    [Fact]
    public void Decide_WithOneAttemptAllowed_SaysTheOnlyAttemptFailed()
    {
        var decision = new RetryDecision(new ExitCodeClassifier(null, new HashSet<int>()), maxAttempts: 1, deadline: null);

        var verdict = decision.Decide(Failed(5), Facts(counted: 1));

        Assert.Equal(End(RunOutcome.AttemptsExhausted, 5, "the only attempt allowed failed with exit code 5"), verdict);
    }

    [Fact]
    public void Decide_WithRetryOn_RetriesOnlyThoseCodes()
    {
        var decision = new RetryDecision(new ExitCodeClassifier(new HashSet<int> { 75 }, new HashSet<int>()), maxAttempts: 5, deadline: null);

        Assert.Equal(new RetryVerdict.Retry(Delay), decision.Decide(Failed(75), Facts(fits: true)));
        Assert.Equal(End(RunOutcome.NotRetryable, 1, "exit code 1 is not retried"), decision.Decide(Failed(1), Facts(fits: true)));
    }

    [Fact]
    public void Decide_AnUnhealthyAttempt_IsRetriedByDefault_AndItsNameDecidesFirstInTheLists()
    {
        var unhealthy = new AttemptOutcome(Attempt(143, AttemptKind.Unhealthy));
        var plain = new RetryDecision(new ExitCodeClassifier(null, new HashSet<int>()), maxAttempts: 3, deadline: null);
        var refused = new RetryDecision(new ExitCodeClassifier(null, new HashSet<int> { ExitCodes.Unhealthy }), maxAttempts: 3, deadline: null);
        var onlyUnhealthy = new RetryDecision(new ExitCodeClassifier(new HashSet<int> { ExitCodes.Unhealthy }, new HashSet<int> { 143 }), maxAttempts: 3, deadline: null);

        Assert.Equal(new RetryVerdict.Retry(Delay), plain.Decide(unhealthy, Facts(fits: true)));
        Assert.Equal(End(RunOutcome.NotRetryable, 143, "exit code 143 is not retried"), refused.Decide(unhealthy, Facts(fits: true)));
        Assert.Equal(new RetryVerdict.Retry(Delay), onlyUnhealthy.Decide(unhealthy, Facts(fits: true)));
        Assert.Equal(End(RunOutcome.AttemptsExhausted, 143, "all 3 attempts failed; the last ended with failed health checks (stopped, 143)"),
            plain.Decide(unhealthy, Facts(counted: 3)));
    }

    [Fact]
    public void Decide_IsPure_TheSameInputGivesTheSameVerdict()
    {
        var decision = new RetryDecision(new ExitCodeClassifier(null, new HashSet<int>()), maxAttempts: 3, deadline: null);
        var outcome = Failed(1);

        var verdicts = Enumerable.Range(0, 5).Select(_ => decision.Decide(outcome, Facts(fits: true))).Distinct().ToList();

        Assert.Single(verdicts);
    }

    private static AttemptRecord Attempt(int? exitCode, AttemptKind kind, int? signal = null) =>
        new(2, Now, TimeSpan.FromSeconds(1), kind, exitCode, signal, 0, TimeSpan.Zero);

    private static AttemptOutcome Failed(int code, AttemptKind kind = AttemptKind.Failure) =>
        new(Attempt(kind == AttemptKind.Timeout ? null : code, kind));

    private static AttemptOutcome Judged(int code, OutputVerdict output) => new(Attempt(code, AttemptKind.Failure), Output: output);

    private static AttemptOutcome Signalled(int signal) => new(Attempt(null, AttemptKind.Signal, signal));

    private static RetryFacts Facts(bool stop = false, int counted = 1, bool? fits = null, TimeSpan? deadlineIn = null, ChildRetryRequest? child = null) =>
        new(stop, counted, fits, Delay, Now, deadlineIn is { } d ? Now + d : null, ChildRequest: child);

    private static RetryVerdict.End End(RunOutcome outcome, int code, string message) => new(outcome, code, message);
}
