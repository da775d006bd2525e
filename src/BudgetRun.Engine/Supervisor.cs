using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Retry;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace BudgetRun.Engine;

/// <summary>
/// Runs the command until it succeeds or a limit ends the run. Polly's retry strategy drives the
/// loop; <see cref="ShouldRetryAsync"/> is where the attempt cap, the exit-code policy, the budget,
/// the deadline and the stop requests decide whether another attempt starts. Every attempt
/// reserves its cost before it starts (<see cref="RunAttemptAsync"/>), so the budget is never
/// overspent, and nothing waits for an attempt that cannot run.
/// </summary>
internal sealed partial class Supervisor
{
    private readonly SupervisorOptions _options;
    private readonly IChildLauncher _launcher;
    private readonly IBudgetLedger _ledger;
    private readonly RunControl _control;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IRunObserver _observer;
    private readonly BackoffSchedule _backoff;
    private readonly ExitCodeClassifier _classifier;
    /// <summary>The most recent attempts; a worker restarted for weeks must not grow without bound.</summary>
    private readonly Queue<AttemptRecord> _attempts = new();
    private int _attemptCount;
    private long _attemptCostCents;
    private AttemptRecord? _lastAttempt;

    private int _attemptsSinceReset;
    private TimeSpan _nextDelay;
    private DateTimeOffset? _deadlineAt;
    private (RunOutcome Outcome, int ExitCode, string Message)? _end;

    public Supervisor(
        SupervisorOptions options,
        IChildLauncher launcher,
        IBudgetLedger ledger,
        RunControl control,
        TimeProvider time,
        ILogger<Supervisor> logger,
        IRunObserver? observer = null,
        Func<double>? random = null)
    {
        _options = options;
        _launcher = launcher;
        _ledger = ledger;
        _control = control;
        _time = time;
        _logger = logger;
        _observer = observer ?? NullRunObserver.Instance;
        _backoff = new BackoffSchedule(options.BaseDelay, options.MaxDelay, options.Jitter, random ?? Random.Shared.NextDouble);
        _classifier = new ExitCodeClassifier(options.RetryOn, options.NoRetryOn);
    }

    public async Task<RunResult> RunAsync()
    {
        var startedAt = _time.GetUtcNow();
        _deadlineAt = startedAt + _options.Deadline;
        using var deadline = _options.Deadline is { } limit ? new CancellationTokenSource(limit, _time) : null;
        using var onDeadline = deadline?.Token.Register(() =>
            _control.RequestStop(StopReason.Deadline, $"the run's deadline of {Format(_options.Deadline!.Value)} passed"));

        var pipeline = new ResiliencePipelineBuilder<AttemptRecord?> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<AttemptRecord?>
            {
                // The cap is enforced in ShouldRetryAsync: --reset-after makes the count start over.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => args.Outcome.Exception is null
                    ? ShouldRetryAsync(args.Outcome.Result)
                    : ValueTask.FromResult(false),
                DelayGenerator = _ => ValueTask.FromResult<TimeSpan?>(_nextDelay),
                OnRetry = args =>
                {
                    var nextAt = _time.GetUtcNow() + args.RetryDelay;
                    _observer.PhaseChanged(RunPhase.BackingOff);
                    _observer.BackingOff(args.RetryDelay, nextAt);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        try
        {
            _observer.PhaseChanged(RunPhase.Running);
            await pipeline.ExecuteAsync(static (self, _) => self.RunAttemptAsync(), this, _control.StopToken).ConfigureAwait(false);
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
        var unfinished = await _ledger.FinishUnfinishedAsync(CancellationToken.None).ConfigureAwait(false);
        if (unfinished > 0)
        {
            LogUnfinished(_logger, unfinished);
        }

        var result = BuildResult(startedAt);
        _observer.PhaseChanged(RunPhase.Finished);
        _observer.Finished(result);
        return result;
    }

    /// <summary>The retry decision, in order of precedence. Also fixes the delay before the next attempt.</summary>
    private async ValueTask<bool> ShouldRetryAsync(AttemptRecord? attempt)
    {
        if (attempt is null || _end is not null)
        {
            return false; // no attempt could start, or the attempt itself ended the run
        }
        if (_control.IsStopRequested)
        {
            return false;
        }
        if (attempt.Kind == AttemptKind.Success)
        {
            _end = (RunOutcome.Succeeded, ExitCodes.Success, $"attempt {attempt.Number} succeeded");
            return false;
        }
        if (!_classifier.IsRetryable(attempt.Code))
        {
            _end = (RunOutcome.NotRetryable, attempt.Code, $"exit code {attempt.Code} is not retried");
            return false;
        }
        // The cap decides before the budget when both run out at the same moment.
        if (_attemptsSinceReset >= _options.MaxAttempts)
        {
            _end = (RunOutcome.AttemptsExhausted, attempt.Code, _options.MaxAttempts == 1
                ? $"the only attempt allowed failed with {Describe(attempt)}"
                : $"all {_options.MaxAttempts} attempts failed; the last ended with {Describe(attempt)}");
            return false;
        }
        if (!await FitsAsync().ConfigureAwait(false))
        {
            _end = await BudgetEndAsync().ConfigureAwait(false);
            return false;
        }
        _nextDelay = _backoff.Next();
        if (_deadlineAt is { } deadlineAt && _time.GetUtcNow() + _nextDelay >= deadlineAt)
        {
            _control.RequestStop(StopReason.Deadline,
                $"the next attempt would start after the run's deadline of {Format(_options.Deadline!.Value)}");
            return false;
        }
        LogRetrying(_logger, attempt.Number, Describe(attempt), Format(_nextDelay));
        return true;
    }

    /// <summary>Whether the next attempt's cost fits; an unreachable ledger is left to the reservation, which fails closed.</summary>
    private async ValueTask<bool> FitsAsync()
    {
        try
        {
            return await _ledger.FitsAsync(_options.CostPerAttemptCents, CancellationToken.None).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException)
        {
            return true;
        }
    }

    /// <summary>One attempt: reserve its cost, run the child, settle the cost.</summary>
    private async ValueTask<AttemptRecord?> RunAttemptAsync()
    {
        if (_control.IsStopRequested)
        {
            return null;
        }
        var cost = _options.CostPerAttemptCents;
        var reservation = await _ledger.TryReserveAsync(cost, CancellationToken.None).ConfigureAwait(false);
        if (reservation is null)
        {
            _end = await BudgetEndAsync().ConfigureAwait(false);
            return null;
        }

        var number = _attemptCount + 1;
        _attemptsSinceReset++;
        var delayBefore = number == 1 ? TimeSpan.Zero : _nextDelay;
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        _observer.PhaseChanged(RunPhase.Running);

        IChildProcess child;
        try
        {
            child = _launcher.Start(new ChildStartInfo(_options.Command, _options.ExtraEnvironment, _options.HiddenEnvironment));
        }
        catch (ChildStartException ex)
        {
            // Nothing ran, so nothing was spent.
            try
            {
                await _ledger.ReleaseAsync(reservation, CancellationToken.None).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException unavailable)
            {
                LogReleaseFailed(_logger, number, unavailable.Message); // kept by the ledger and released when it answers
            }
            var failed = new AttemptRecord(number, startedAt, _time.GetElapsedTime(started), AttemptKind.StartError,
                ex.ExitCode, null, 0, delayBefore);
            Record(failed);
            _end = (RunOutcome.StartFailed, ex.ExitCode, ex.Message);
            return failed;
        }

        LogAttemptStarted(_logger, number, _options.MaxAttempts, child.Pid);
        _observer.AttemptStarted(number, child.Pid);
        var (exit, stoppedAs, forced) = await SuperviseAsync(child).ConfigureAwait(false);
        var duration = _time.GetElapsedTime(started);

        var leftovers = await child.SweepAsync(forced ? TimeSpan.Zero : _options.KillGrace).ConfigureAwait(false);
        if (leftovers > 0)
        {
            LogSwept(_logger, leftovers, number);
        }
        try
        {
            await _ledger.SettleAsync(reservation, cost, CancellationToken.None).ConfigureAwait(false);
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
            { Signal: not null } => AttemptKind.Signal,
            { ExitCode: 0 } => AttemptKind.Success,
            _ => AttemptKind.Failure,
        };
        var record = new AttemptRecord(number, startedAt, duration, kind, exit.ExitCode, exit.Signal, cost, delayBefore);
        Record(record);

        if (kind == AttemptKind.Signal && exit.Signal == Signals.SIGINT && exit.HadTerminal)
        {
            // The terminal's Ctrl-C reaches the child's (foreground) group, not us: it is an interrupt.
            // Without the terminal, a SIGINT death is like any other signal's.
            _end = (RunOutcome.Interrupted, ExitCodes.Interrupted, "the command was interrupted (SIGINT)");
        }
        else if (_options.ResetAfter is { } healthy && duration >= healthy && kind != AttemptKind.Success)
        {
            LogHealthyReset(_logger, number, Format(duration));
            _attemptsSinceReset = 0;
            _backoff.Reset();
        }
        return record;
    }

    /// <summary>Waits for the child, stopping it on a timeout or a stop request.</summary>
    private async Task<(ChildExit Exit, AttemptKind? StoppedAs, bool Forced)> SuperviseAsync(IChildProcess child)
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
            var exit = await child.Exited.ConfigureAwait(false);
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

    private void Record(AttemptRecord attempt)
    {
        if (attempt.Kind != AttemptKind.StartError)
        {
            // A start failure is reported once, by the run's last line.
            LogAttemptEnded(_logger, attempt.Number, Describe(attempt), Format(attempt.Duration));
        }
        _attemptCount++;
        _attemptCostCents += attempt.CostCents;
        _lastAttempt = attempt;
        _attempts.Enqueue(attempt);
        if (_attempts.Count > RunResult.MaxAttemptsKept)
        {
            _attempts.Dequeue();
        }
        _observer.AttemptEnded(attempt);
    }

    private async ValueTask<(RunOutcome, int, string)> BudgetEndAsync()
    {
        var budget = await _ledger.SnapshotAsync(CancellationToken.None).ConfigureAwait(false);
        return (RunOutcome.BudgetExhausted, ExitCodes.BudgetExhausted,
            $"budget exhausted: an attempt costs {_options.CostPerAttemptCents} cents and {budget.RemainingCents} of {budget.BudgetCents} remain");
    }

    private RunResult BuildResult(DateTimeOffset startedAt)
    {
        var (outcome, exitCode, message) = _control.Reason is { } reason
            ? (reason.Outcome(), reason.ExitCode(_control.StopSignal), _control.Detail ?? DescribeStop(reason))
            : _end ?? (RunOutcome.AttemptsExhausted, _lastAttempt?.Code ?? ExitCodes.InternalError, "the run ended");
        // What this run spent (its attempts and the cost it reported), not the account's total: with a
        // shared --budget-key other runs spend from the same account.
        var spent = _attemptCostCents + _control.ReportedCents;
        return new RunResult(outcome, exitCode, message, _attemptCount, _attempts.ToArray(), spent, _options.MaxCostCents,
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

    private static string Describe(AttemptRecord attempt) => attempt.Kind switch
    {
        AttemptKind.Timeout => "a timeout (124)",
        AttemptKind.Signal or AttemptKind.Killed when attempt.Signal is { } s => $"{Signals.Name(s)} ({attempt.Code})",
        _ => $"exit code {attempt.Code}",
    };

    internal static string Format(TimeSpan span) => span.TotalSeconds >= 1
        ? $"{span.TotalSeconds:0.###}s"
        : $"{span.TotalMilliseconds:0.###}ms";

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} of {MaxAttempts} started: pid {Pid}")]
    private static partial void LogAttemptStarted(ILogger logger, int attempt, int maxAttempts, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} ended with {Result} after {Duration}")]
    private static partial void LogAttemptEnded(ILogger logger, int attempt, string result, string duration);

    [LoggerMessage(Level = LogLevel.Information, Message = "attempt {Attempt} failed with {Result}; next attempt in {Delay}")]
    private static partial void LogRetrying(ILogger logger, int attempt, string result, string delay);

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
