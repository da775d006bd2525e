using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Retry;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace BudgetRun.Engine;

/// <summary>
/// Runs the command until it succeeds or a limit ends the run. Polly's retry strategy drives the
/// loop from the first retry on (the first attempt runs before it is built);
/// <see cref="RetryDecision"/> decides whether another attempt starts (the attempt cap, the
/// exit-code policy, the budget, the deadline, the stop requests) and <see cref="RunBudget"/>
/// decides every spend: each attempt reserves its cost before it starts
/// (<see cref="RunAttemptAsync"/>), tops it up while it runs when the cost model asks, and is
/// charged when it ends, so the budget is never overspent, and nothing waits for an attempt that
/// cannot run.
/// </summary>
internal sealed partial class Supervisor
{
    private readonly SupervisorOptions _options;
    private readonly IChildLauncher _launcher;
    private readonly RunBudget _budget;
    private readonly RunControl _control;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IRunObserver _observer;
    private readonly BackoffSchedule _backoff;
    private readonly RetryDecision _decision;
    /// <summary>The most recent attempts; a worker restarted for weeks must not grow without bound.</summary>
    private readonly Queue<AttemptRecord> _attempts = new();

    /// <summary>The one attempt counter: attempts started (or that failed to start) so far.</summary>
    private int _attemptCount;

    /// <summary>The last attempt that ran longer than <c>--reset-after</c>: the cap counts the attempts after it.</summary>
    private int _resetAt;

    private AttemptRecord? _lastAttempt;

    /// <summary>The backoff waited before the attempt about to start (zero before the first).</summary>
    private TimeSpan _lastDelay;
    private bool _lastDelayAsked;
    private ChildRetryRequest? _childRequest;

    /// <summary>The wait the child asked for, longer than the backoff's, for the retry just decided.</summary>
    private TimeSpan? _childDelay;
    private DateTimeOffset? _deadlineAt;
    private (RunOutcome Outcome, int ExitCode, string Message)? _end;

    /// <summary>
    /// The first attempt's outcome, run and decided (a retry) before the retry pipeline was built,
    /// until the pipeline has asked about it: its first execution returns it.
    /// </summary>
    private AttemptOutcome? _handOver;

    public Supervisor(
        SupervisorOptions options,
        IChildLauncher launcher,
        RunBudget budget,
        RunControl control,
        TimeProvider time,
        ILogger<Supervisor> logger,
        IRunObserver? observer = null,
        Func<double>? random = null)
    {
        _options = options;
        _launcher = launcher;
        _budget = budget;
        _control = control;
        _time = time;
        _logger = logger;
        _observer = observer ?? NullRunObserver.Instance;
        _backoff = new BackoffSchedule(options.BaseDelay, options.MaxDelay, options.Jitter, random ?? Random.Shared.NextDouble);
        _decision = new RetryDecision(new ExitCodeClassifier(options.RetryOn, options.NoRetryOn), options.MaxAttempts, options.Deadline);
    }

    public async Task<RunResult> RunAsync()
    {
        var startedAt = _time.GetUtcNow();
        _deadlineAt = startedAt + _options.Deadline;
        using var deadline = _options.Deadline is { } limit ? new CancellationTokenSource(limit, _time) : null;
        using var onDeadline = deadline?.Token.Register(() =>
            _control.RequestStop(StopReason.Deadline, $"the run's deadline of {Durations.Format(_options.Deadline!.Value)} passed"));

        try
        {
            _observer.PhaseChanged(RunPhase.Running);
            // The first attempt runs before the retry pipeline exists: a run that its first attempt
            // ends (most runs) never builds it. Building it and its first execution cost about 5
            // million instructions of start-up (Polly validates the options by reflection, and the
            // runtime's type loader builds the generic virtual methods it dispatches through), a
            // fifth of `budget-run -- true`. A retried run hands that outcome to the pipeline, which
            // then waits and retries exactly as if it had run the attempt itself.
            var first = await RunAttemptAsync().ConfigureAwait(false);
            if (await DecideAsync(first).ConfigureAwait(false))
            {
                _handOver = first;
                await BuildRetryPipeline().ExecuteAsync(static (self, _) => self.NextAttemptAsync(), this, _control.StopToken)
                    .ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_control.IsStopRequested)
        {
            // A stop cut the backoff wait short.
        }
        catch (LedgerUnavailableException ex)
        {
            _end = (RunOutcome.LedgerUnavailable, ExitCodes.LedgerUnavailable, ex.Message);
        }

        // A settle that failed during a ledger outage, or a reservation whose answer was lost, is
        // finished now if the ledger answers; otherwise its reservation counts in full at its TTL.
        var unfinished = await _budget.FinishUnfinishedAsync().ConfigureAwait(false);
        if (unfinished > 0)
        {
            LogUnfinished(_logger, unfinished);
        }

        var result = BuildResult(startedAt);
        _observer.PhaseChanged(RunPhase.Finished);
        _observer.Finished(result);
        return result;
    }

    /// <summary>Polly's retry strategy, driven by <see cref="RetryDecision"/> and <see cref="BackoffSchedule"/>.</summary>
    private ResiliencePipeline<AttemptOutcome> BuildRetryPipeline() =>
        new ResiliencePipelineBuilder<AttemptOutcome> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<AttemptOutcome>
            {
                // The cap is the decision's: --reset-after makes the count start over.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => args.Outcome.Result is { } outcome ? ShouldRetryAsync(outcome) : ValueTask.FromResult(false),
                DelayGenerator = _ =>
                {
                    var scheduled = _backoff.Next(); // the schedule moves on whoever set this wait
                    return ValueTask.FromResult<TimeSpan?>(_childDelay ?? scheduled);
                },
                OnRetry = args => BackingOff(args.RetryDelay),
            })
            .Build();

    /// <summary>The pipeline's attempts: the first attempt's outcome (already run), then new attempts.</summary>
    private ValueTask<AttemptOutcome> NextAttemptAsync() =>
        _handOver is { } first ? ValueTask.FromResult(first) : RunAttemptAsync();

    /// <summary>The handed-over outcome's verdict is already carried out (a retry); every later one is decided here.</summary>
    private ValueTask<bool> ShouldRetryAsync(AttemptOutcome outcome)
    {
        if (ReferenceEquals(outcome, _handOver))
        {
            _handOver = null;
            return ValueTask.FromResult(true);
        }
        return DecideAsync(outcome);
    }

    /// <summary>Asks the decision (and the budget, only when the decision needs it), then carries the verdict out.</summary>
    private async ValueTask<bool> DecideAsync(AttemptOutcome outcome)
    {
        _childRequest = _control.TakeRetryRequest();
        _childDelay = null;
        var verdict = _decision.Decide(outcome, Facts(nextAttemptFits: null));
        if (verdict is RetryVerdict.AskBudget)
        {
            verdict = _decision.Decide(outcome, Facts(await _budget.NextAttemptFitsAsync().ConfigureAwait(false)));
        }
        switch (verdict)
        {
            case RetryVerdict.Retry { ChildAsked: true } asked:
                _childDelay = asked.Delay;
                LogRetryingAsAsked(_logger, outcome.Attempt!.Number, RetryDecision.Describe(outcome.Attempt), Durations.Format(asked.Delay));
                return true;
            case RetryVerdict.Retry retry:
                LogRetrying(_logger, outcome.Attempt!.Number, RetryDecision.Describe(outcome.Attempt), Durations.Format(retry.Delay));
                return true;
            case RetryVerdict.End end:
                _end = (end.Outcome, end.ExitCode, end.Message);
                break;
            case RetryVerdict.EndForBudget:
                _end = (RunOutcome.BudgetExhausted, ExitCodes.BudgetExhausted, await _budget.ExhaustedMessageAsync().ConfigureAwait(false));
                break;
            case RetryVerdict.Stop { Reason: { } reason } stop:
                _control.RequestStop(reason, stop.Detail);
                break;
        }
        return false;
    }

    private ValueTask BackingOff(TimeSpan delay)
    {
        _lastDelay = delay;
        _lastDelayAsked = _childDelay is not null;
        _observer.PhaseChanged(RunPhase.BackingOff);
        _observer.BackingOff(delay, _time.GetUtcNow() + delay);
        return ValueTask.CompletedTask;
    }

    private RetryFacts Facts(bool? nextAttemptFits) => new(
        _control.IsStopRequested,
        _attemptCount - _resetAt,
        nextAttemptFits,
        _backoff.Peek(),
        _time.GetUtcNow(),
        _deadlineAt,
        _resetAt > 0,
        _childRequest);

    /// <summary>One attempt: reserve its cost, run the child (topping the reservation up when the cost model asks), charge it.</summary>
    private async ValueTask<AttemptOutcome> RunAttemptAsync()
    {
        if (_control.IsStopRequested)
        {
            return AttemptOutcome.NotStarted;
        }
        var spend = await _budget.ReserveAttemptAsync().ConfigureAwait(false);
        if (spend is null)
        {
            return AttemptOutcome.Refused;
        }

        var number = _attemptCount + 1;
        var delayBefore = _lastDelay;
        var delayAsked = _lastDelayAsked;
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        _observer.PhaseChanged(RunPhase.Running);

        IChildProcess child;
        var start = AttemptEnvironment.For(new ChildStartInfo(_options.Command, _options.ExtraEnvironment, _options.HiddenEnvironment,
                _options.Output?.Streams ?? OutputStreams.None),
            number - _resetAt, _options.MaxAttempts, _options.RunId, spend.Reservations[0].RemainingCents);
        try
        {
            child = _launcher.Start(start);
        }
        catch (ChildStartException ex)
        {
            // Nothing ran, so nothing was spent.
            try
            {
                await _budget.ReleaseAsync(spend).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException unavailable)
            {
                LogReleaseFailed(_logger, number, unavailable.Message); // kept by the ledger and released when it answers
            }
            var failed = new AttemptRecord(number, startedAt, _time.GetElapsedTime(started), AttemptKind.StartError,
                ex.ExitCode, null, 0, delayBefore)
            { DelayAskedByChild = delayAsked };
            Record(failed);
            return new AttemptOutcome(failed, StartError: ex.Message);
        }

        if (_resetAt == 0)
        {
            LogAttemptStarted(_logger, number, _options.MaxAttempts, child.Pid);
        }
        else
        {
            LogAttemptStartedAfterReset(_logger, number, child.Pid, number - _resetAt, _options.MaxAttempts);
        }
        _observer.AttemptStarted(number, child.Pid);
        var metered = _budget.Rate is not null;
        if (metered)
        {
            _observer.Metering(new AttemptMeter(() => ReadMeter(child, spend, number, startedAt, started)));
        }
        var (exit, stoppedAs, forced) = await SuperviseAsync(child, start, spend, number, started).ConfigureAwait(false);
        if (metered)
        {
            _observer.Metering(null);
        }
        var duration = _time.GetElapsedTime(started);

        var leftovers = await child.SweepAsync(forced ? TimeSpan.Zero : _options.KillGrace).ConfigureAwait(false);
        if (leftovers > 0)
        {
            LogSwept(_logger, leftovers, number);
        }
        var captured = await child.OutputAsync().ConfigureAwait(false);
        var usage = child.Finish();
        var cost = _budget.ChargeFor(spend, duration, usage);
        try
        {
            await _budget.SettleAsync(spend, cost).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex)
        {
            // The attempt ran; a ledger blip must not end the run here. The ledger keeps the settle
            // and makes it before its next operation (or at the end of the run); the next reservation
            // decides whether to go on.
            LogSettleFailed(_logger, number, ex.Message);
        }

        var kind = stoppedAs ?? exit switch
        {
            // The child died of SIGKILL and its cgroup counted an OOM kill: the OOM killer's doing.
            { Signal: Signals.SIGKILL } when usage is { OomKills: > 0 } => AttemptKind.Oom,
            { Signal: not null } => AttemptKind.Signal,
            { ExitCode: 0 } => AttemptKind.Success,
            _ => AttemptKind.Failure,
        };
        var output = kind == AttemptKind.Success || _options.Output is null ? default : _options.Output.Judge(captured);
        var record = new AttemptRecord(number, startedAt, duration, kind, exit.ExitCode, exit.Signal, cost, delayBefore, usage)
        {
            DelayAskedByChild = delayAsked,
            OutputRule = output.Rule,
            OutputTails = _options.Output?.Tails(captured),
        };
        Record(record);
        if (output.Rule is { } rule)
        {
            LogOutputRule(_logger, number, rule);
        }

        // Only the terminal's Ctrl-C (the child's group had the terminal) is an interrupt; without the
        // terminal, a SIGINT death is like any other signal's.
        var interrupted = kind == AttemptKind.Signal && exit.Signal == Signals.SIGINT && exit.HadTerminal;
        if (!interrupted && _options.ResetAfter is { } healthy && duration >= healthy && kind != AttemptKind.Success)
        {
            LogHealthyReset(_logger, number, Durations.Format(duration));
            _resetAt = number;
            _backoff.Reset();
        }
        return new AttemptOutcome(record, InterruptedAtTerminal: interrupted, Output: output);
    }

    /// <summary>Waits for the child, stopping it on a timeout or a stop request, and meters it while it runs.</summary>
    private async Task<(ChildExit Exit, AttemptKind? StoppedAs, bool Forced)> SuperviseAsync(IChildProcess child, ChildStartInfo start, AttemptSpend spend,
        int number, long started)
    {
        var gate = new Lock();
        AttemptKind? stoppedAs = null;
        Task<bool>? stopping = null;
        void Stop(AttemptKind kind, int signal)
        {
            lock (gate)
            {
                if (stopping is not null)
                {
                    return;
                }
                stoppedAs = kind;
                _observer.PhaseChanged(RunPhase.Stopping);
                stopping = child.StopAsync(signal, _options.KillGrace);
            }
        }

        _control.SetForwarder(child.Signal);
        try
        {
            using var timeout = _options.AttemptTimeout is { } limit ? new CancellationTokenSource(limit, _time) : null;
            using var onTimeout = timeout?.Token.Register(() => Stop(AttemptKind.Timeout, Signals.SIGTERM));
            using var onStop = _control.StopToken.Register(() =>
                Stop(AttemptKind.Killed, _control.Reason!.Value.ChildSignal()));
            using var attemptOver = new CancellationTokenSource();
            var meter = MeterAsync(spend, number, started, attemptOver.Token);
            var health = _options.Health is { } check
                ? WatchHealthAsync(check, child, start, number, started, () => Stop(AttemptKind.Unhealthy, Signals.SIGTERM), attemptOver.Token)
                : Task.CompletedTask;
            var exit = await child.Exited.ConfigureAwait(false);
            await attemptOver.CancelAsync().ConfigureAwait(false);
            await meter.ConfigureAwait(false);
            await health.ConfigureAwait(false);
            Task<bool>? stop;
            lock (gate)
            {
                stop = stopping;
            }
            var forced = stop is not null && await stop.ConfigureAwait(false);
            return (exit, stoppedAs, forced);
        }
        finally
        {
            _control.SetForwarder(null);
        }
    }

    /// <summary>
    /// Checks the attempt's health (<see cref="HealthCheck"/>) until it ends or fails
    /// <see cref="HealthCheck.Retries"/> checks in a row, then stops it with <paramref name="unhealthy"/>.
    /// </summary>
    private async Task WatchHealthAsync(HealthCheck check, IChildProcess child, ChildStartInfo start, int number, long started, Action unhealthy,
        CancellationToken attemptOver)
    {
        using var probe = new HealthProbe(check, _launcher, _time, start.ExtraEnvironment, start.HiddenEnvironment ?? new HashSet<string>());
        var failures = 0;
        var starting = check.StartPeriod > TimeSpan.Zero;
        try
        {
            while (true)
            {
                await Task.Delay(check.Interval, _time, attemptOver).ConfigureAwait(false);
                var (healthy, detail) = await probe.CheckAsync(child.Pid, attemptOver).ConfigureAwait(false);
                if (healthy)
                {
                    if (failures > 0 || starting)
                    {
                        LogHealthy(_logger, number);
                    }
                    failures = 0;
                    starting = false;
                    continue;
                }
                if (starting && _time.GetElapsedTime(started) < check.StartPeriod)
                {
                    LogHealthStarting(_logger, number, detail, Durations.Format(check.StartPeriod));
                    continue;
                }
                starting = false;
                failures++;
                if (failures < check.Retries)
                {
                    LogHealthFailed(_logger, number, failures, check.Retries, detail);
                    continue;
                }
                LogUnhealthy(_logger, number, failures, detail);
                unhealthy();
                return;
            }
        }
        catch (OperationCanceledException) when (attemptOver.IsCancellationRequested)
        {
            // The attempt ended: so do its checks (a check under way is killed).
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "attempt {Attempt}'s health check failed ({Failures} of {Retries} in a row): {Detail}")]
    private static partial void LogHealthFailed(ILogger logger, int attempt, int failures, int retries, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt}'s health check failed within the start period of {StartPeriod}, which does not count: {Detail}")]
    private static partial void LogHealthStarting(ILogger logger, int attempt, string detail, string startPeriod);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} is healthy")]
    private static partial void LogHealthy(ILogger logger, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "attempt {Attempt} is unhealthy after {Failures} failed health checks in a row ({Detail}): stopping it")]
    private static partial void LogUnhealthy(ILogger logger, int attempt, int failures, string detail);

    /// <summary>The running attempt's meter now: its cost so far by the cost model, what it holds, and when the next slice is due (as <see cref="MeterAsync"/> computes it).</summary>
    private MeterReading ReadMeter(IChildProcess child, AttemptSpend spend, int number, DateTimeOffset startedAt, long started)
    {
        var elapsed = _time.GetElapsedTime(started);
        var reserved = spend.ReservedCents;
        var rate = _budget.Rate!.Value;
        var cost = _budget.ChargeFor(spend, elapsed, child.Usage());
        var next = _budget.NextTopUp(spend, elapsed);
        DateTimeOffset? nextAt = next is { } topUp
            ? startedAt + ReserveAt(topUp)
            : null;
        return new MeterReading(number, rate.Basis, rate.CentsPerSecond, cost, reserved, startedAt + (next?.PaidUntil ?? elapsed), nextAt);
    }

    /// <summary>
    /// When (elapsed time of the attempt) the meter reserves <paramref name="topUp"/>: when it is due,
    /// or earlier by the kill grace, so that a refused one still ends the attempt within what is paid.
    /// </summary>
    private TimeSpan ReserveAt(CostTopUp topUp)
    {
        var latest = topUp.PaidUntil - _options.KillGrace;
        return topUp.DueAfter < latest ? topUp.DueAfter : latest;
    }

    /// <summary>
    /// Reserves the top-ups the cost model asks for while the attempt runs. One that does not fit
    /// (or cannot be reserved: fail closed) stops the run, and with it the attempt, early enough that
    /// the kill grace ends before the time already paid for does.
    /// </summary>
    private async Task MeterAsync(AttemptSpend spend, int number, long started, CancellationToken attemptOver)
    {
        try
        {
            while (_budget.NextTopUp(spend, _time.GetElapsedTime(started)) is { } topUp)
            {
                var wait = ReserveAt(topUp) - _time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, attemptOver).ConfigureAwait(false);
                }
                if (!await _budget.TryTopUpAsync(spend, topUp).ConfigureAwait(false))
                {
                    _control.RequestStop(StopReason.BudgetExhausted,
                        $"the meter stopped attempt {number}: its next {topUp.Cents} cents could not be reserved");
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (attemptOver.IsCancellationRequested)
        {
            // The attempt ended before its next top-up was due.
        }
    }

    private void Record(AttemptRecord attempt)
    {
        if (attempt.Kind != AttemptKind.StartError)
        {
            // A start failure is reported once, by the run's last line.
            LogAttemptEnded(_logger, attempt.Number, RetryDecision.Describe(attempt), Durations.Format(attempt.Duration));
        }
        _attemptCount++;
        _lastAttempt = attempt;
        _attempts.Enqueue(attempt);
        if (_attempts.Count > RunResult.MaxAttemptsKept)
        {
            _attempts.Dequeue();
        }
        _observer.AttemptEnded(attempt);
    }

    private RunResult BuildResult(DateTimeOffset startedAt)
    {
        var (outcome, exitCode, message) = _control.Reason is { } reason
            ? (reason.Outcome(), reason.ExitCode(_control.StopSignal), _control.Detail ?? DescribeStop(reason))
            : _end ?? (RunOutcome.AttemptsExhausted, _lastAttempt?.Code ?? ExitCodes.InternalError, "the run ended");
        // What this run spent (its attempts and the cost it reported), not the account's total: with a
        // shared --budget-key other runs spend from the same account.
        return new RunResult(outcome, exitCode, message, _attemptCount, _attempts.ToArray(), _budget.RunSpentCents, _options.MaxCostCents,
            startedAt, _time.GetUtcNow(), _control.Detail);
    }

    private static string DescribeStop(StopReason reason) => reason switch
    {
        StopReason.Interrupt => "interrupted by SIGINT",
        StopReason.Terminate => "terminated by SIGTERM",
        StopReason.KillSwitch => "stopped by the kill switch",
        StopReason.BudgetExhausted => "reported spend reached the budget",
        StopReason.Deadline => "the run's deadline passed",
        _ => reason.ToString(),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = LogMessages.AttemptStarted)]
    private static partial void LogAttemptStarted(ILogger logger, int attempt, int maxAttempts, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = LogMessages.AttemptStartedAfterReset)]
    private static partial void LogAttemptStartedAfterReset(ILogger logger, int attempt, int pid, int counted, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt}'s output: {Rule}")]
    private static partial void LogOutputRule(ILogger logger, int attempt, string rule);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} ended with {Result} after {Duration}")]
    private static partial void LogAttemptEnded(ILogger logger, int attempt, string result, string duration);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} failed with {Result}; next attempt in {Delay}")]
    private static partial void LogRetrying(ILogger logger, int attempt, string result, string delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} failed with {Result}; next attempt in {Delay}, as the child asked (POST /retry)")]
    private static partial void LogRetryingAsAsked(ILogger logger, int attempt, string result, string delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "stopped {Count} process(es) left behind by attempt {Attempt}")]
    private static partial void LogSwept(ILogger logger, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not settle the reservation of attempt {Attempt}: {Error}; it is settled when the ledger answers again")]
    private static partial void LogSettleFailed(ILogger logger, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not release the reservation of attempt {Attempt}: {Error}; it is released when the ledger answers again")]
    private static partial void LogReleaseFailed(ILogger logger, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} ledger update(s) could not be made before the run ended because the ledger is unavailable: the reservations concerned count in full when their TTL passes")]
    private static partial void LogUnfinished(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} ran {Duration}, longer than --reset-after: the attempt count and backoff start over")]
    private static partial void LogHealthyReset(ILogger logger, int attempt, string duration);
}
