using BudgetRun.Client;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace QueueWorker;

/// <summary>
/// Takes jobs from the Redis list, one at a time, and calls the paid API for each through
/// retry + budget. A job the budget refuses goes back to the head of the queue, untouched, and the
/// worker stops (exit 75, as budget-run's own "budget exhausted"): the next replica, or this one
/// after the account's window resets or an operator raises the limit, takes it from there.
/// </summary>
internal sealed partial class Worker(WorkerSettings settings, IConnectionMultiplexer redis, BudgetSidecarClient sidecar, FakePaidApi api,
    IHostApplicationLifetime lifetime, ILogger<Worker> logger) : BackgroundService
{
    /// <summary>A call that fails is billed a little (the API counts the request): 2 cents.</summary>
    private const long FailedCallCents = 2;

    /// <summary>The price of tokens: 1 cent per 10.</summary>
    private const int TokensPerCent = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pipeline = new ResiliencePipelineBuilder<Completion>()
            .AddRetry(new RetryStrategyOptions<Completion>
            {
                // Only the API's outage: a refusal of the budget ends the job's execution at once.
                ShouldHandle = new PredicateBuilder<Completion>().Handle<PaidApiUnavailableException>(),
                MaxRetryAttempts = 8,
                Delay = TimeSpan.FromMilliseconds(20),
                BackoffType = DelayBackoffType.Exponential,
                OnRetry = args =>
                {
                    LogRetry(args.AttemptNumber + 1, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .AddBudget(new BudgetStrategyOptions<Completion>
            {
                Client = sidecar,
                ReserveCents = settings.CallCents,
                SettleCents = args => ValueTask.FromResult(args.Outcome.Result is { } done ? Math.Max(1, done.Tokens / TokensPerCent) : FailedCallCents),
            })
            .Build();

        var queue = redis.GetDatabase();
        var done = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var job = await queue.ListRightPopAsync(settings.Queue);
            if (job.IsNull)
            {
                LogQueueEmpty(done);
                break;
            }
            try
            {
                var completion = await pipeline.ExecuteAsync(async token => await api.CompleteAsync(job!, token), stoppingToken);
                done++;
                LogDone(completion.Job, completion.Tokens, Math.Max(1, completion.Tokens / TokensPerCent));
            }
            catch (BudgetRunException refused) when (refused is BudgetExhaustedException or BudgetKilledException)
            {
                await queue.ListRightPushAsync(settings.Queue, job);
                LogStopped(job!, refused.Message, done);
                Environment.ExitCode = 75;
                break;
            }
            catch (PaidApiUnavailableException failed)
            {
                await queue.ListLeftPushAsync(settings.Queue, job); // to the back of the queue: another try later
                LogGaveUp(job!, failed.Message);
            }
        }
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} done: {Tokens} tokens, {Cents} cents")]
    private partial void LogDone(string job, int tokens, long cents);

    [LoggerMessage(Level = LogLevel.Warning, Message = "paid API failed ({Error}); retry {Retry} follows")]
    private partial void LogRetry(int retry, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {Job}: the paid API kept failing ({Error}); back on the queue")]
    private partial void LogGaveUp(string job, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "stopping: {Reason}; job {Job} is back on the queue, {Done} done")]
    private partial void LogStopped(string job, string reason, int done);

    [LoggerMessage(Level = LogLevel.Information, Message = "queue empty: {Done} jobs done")]
    private partial void LogQueueEmpty(int done);
}
