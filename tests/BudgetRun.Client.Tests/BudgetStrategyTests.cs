using System.ComponentModel.DataAnnotations;
using System.Net;
using BudgetRun.Client.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Telemetry;

namespace BudgetRun.Client.Tests;

/// <summary>
/// <c>AddBudget</c>, the Polly v8 strategy, against a real <c>budget-run serve</c>: a retry storm
/// inside a worker is bounded in cents, the cost function settles each attempt, a refusal ends the
/// execution with the typed exception, and it composes with an HttpClient's resilience handler.
/// </summary>
public sealed class BudgetStrategyTests : IClassFixture<RedisFixture>, IDisposable
{
    private readonly RedisFixture _redis;
    private readonly HttpClient _http = new();

    public BudgetStrategyTests(RedisFixture redis) => _redis = redis;

    public static TheoryData<Ledger> Ledgers => [Ledger.Sqlite, Ledger.Redis];

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task ARetryStorm_IsStoppedByTheBudget_NotByTheRetryCap(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 50, _redis.Server.Uri);
        var calls = 0;
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(), MaxRetryAttempts = 100, Delay = TimeSpan.Zero })
            .AddBudget(new BudgetStrategyOptions { Client = sidecar.Client(_http), ReserveCents = 10 })
            .Build();

        var refused = await Assert.ThrowsAsync<BudgetExhaustedException>(async () =>
            await pipeline.ExecuteAsync(_ =>
            {
                Interlocked.Increment(ref calls);
                throw new HttpRequestException("503 from the paid API");
            }));

        Assert.Equal(5, calls); // 50 cents at 10 an attempt: the sixth reservation is refused
        Assert.Equal("10 cents do not fit: 0 of 50 remain", refused.Detail);
        Assert.Equal((50L, 0L, 0L), await sidecar.AccountAsync());
    }

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task TheCostFunction_SettlesEachAttemptWithWhatItReallyCost(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 1_000, _redis.Server.Uri);
        var pipeline = new ResiliencePipelineBuilder<int>()
            .AddRetry(new RetryStrategyOptions<int> { ShouldHandle = new PredicateBuilder<int>().HandleResult(tokens => tokens < 0), MaxRetryAttempts = 5, Delay = TimeSpan.Zero })
            .AddBudget(new BudgetStrategyOptions<int>
            {
                Client = sidecar.Client(_http),
                ReserveCents = 100,
                // Price the tokens of the answer: 1 cent per 10 tokens; a failed call costs 3 cents.
                SettleCents = args => ValueTask.FromResult(args.Outcome.Result < 0 ? 3L : args.Outcome.Result / 10),
            })
            .Build();
        var answers = new Queue<int>([-1, -1, 420]);

        var tokens = await pipeline.ExecuteAsync(_ => ValueTask.FromResult(answers.Dequeue()));

        Assert.Equal(420, tokens);
        Assert.Equal((3L + 3 + 42, 0L, 1_000L - 48), await sidecar.AccountAsync());
    }

    [Fact]
    public async Task ACallThatThrows_IsStillSettled_AndACostFunctionThatFails_ChargesTheReservation()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 100);
        var events = new List<string>();
        var builder = new ResiliencePipelineBuilder<int> { TelemetryListener = new Events(events) };
        var pipeline = builder
            .AddBudget(new BudgetStrategyOptions<int>
            {
                Client = sidecar.Client(_http),
                ReserveCents = 7,
                SettleCents = args => args.Outcome.Exception is not null ? throw new InvalidOperationException("pricing bug") : ValueTask.FromResult(-1L),
            })
            .Build();

        await Assert.ThrowsAsync<TimeoutException>(async () => await pipeline.ExecuteAsync<int>(_ => throw new TimeoutException("the paid API timed out")));
        Assert.Equal(0, await pipeline.ExecuteAsync(_ => ValueTask.FromResult(0)));

        Assert.Equal((14L, 0L, 86L), await sidecar.AccountAsync());
        Assert.Equal(["BudgetPricingFailed", "BudgetPricingFailed"], events);
    }

    [Fact]
    public async Task WhileTheKillSwitchIsEngaged_NoCallIsMade()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 100);
        await sidecar.AdministerAsync("kill", "--reason", "INC-9");
        var calls = 0;
        var pipeline = new ResiliencePipelineBuilder().AddBudget(new BudgetStrategyOptions { Client = sidecar.Client(_http), ReserveCents = 1 }).Build();

        var refused = await Assert.ThrowsAsync<BudgetKilledException>(async () => await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }));

        Assert.Equal(0, calls);
        Assert.EndsWith("INC-9", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyWorkersRetryingAtOnce_NeverSpendMoreThanTheLimit()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Redis, limitCents: 100, _redis.Server.Uri);
        var calls = 0;
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(), MaxRetryAttempts = 50, Delay = TimeSpan.Zero })
            .AddBudget(new BudgetStrategyOptions { Client = sidecar.Client(_http), ReserveCents = 7 })
            .Build();

        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            try
            {
                await pipeline.ExecuteAsync(_ =>
                {
                    Interlocked.Increment(ref calls);
                    throw new HttpRequestException("503");
                });
            }
            catch (BudgetExhaustedException)
            {
            }
        }));
        await Task.WhenAll(workers);

        Assert.Equal(100 / 7, calls); // 14 calls of 7 cents fit in 100; no interleaving makes a 15th
        Assert.Equal((14L * 7, 0L, 100L - (14 * 7)), await sidecar.AccountAsync());
    }

    [Fact]
    public async Task ASettleThatCannotReachTheSidecar_ReturnsTheOutcomeAndReportsIt()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 100);
        var events = new List<string>();
        var pipeline = new ResiliencePipelineBuilder<string> { TelemetryListener = new Events(events) }
            .AddBudget(new BudgetStrategyOptions<string> { Client = sidecar.Client(_http), ReserveCents = 5 })
            .Build();

        var answer = await pipeline.ExecuteAsync(async _ =>
        {
            sidecar.Process.Signal(Posix.SIGKILL); // the sidecar dies while the paid call runs
            await sidecar.Process.WaitAsync();
            return "the paid answer";
        });

        Assert.Equal("the paid answer", answer);
        Assert.Equal(["BudgetSettleFailed"], events);
    }

    [Fact]
    public async Task InAnHttpClientResilienceHandler_TransientRetriesAreReserved_AndTheRefusalIsNotRetried()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 30);
        var api = new FlakyPaidApi();
        var services = new ServiceCollection();
        services.AddBudgetRunSidecar(options =>
        {
            options.BaseAddress = sidecar.Url;
            options.Token = sidecar.Token;
        });
        services.AddHttpClient("paid-api", http => http.BaseAddress = new Uri("http://paid-api.invalid"))
            .ConfigurePrimaryHttpMessageHandler(() => api)
            .AddResilienceHandler("budget", (pipeline, context) =>
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 100, Delay = TimeSpan.Zero, BackoffType = DelayBackoffType.Constant, UseJitter = false });
                pipeline.AddBudget(new BudgetStrategyOptions<HttpResponseMessage>
                {
                    Client = context.ServiceProvider.GetRequiredService<BudgetSidecarClient>(),
                    ReserveCents = 10,
                    SettleCents = args => ValueTask.FromResult(args.Outcome.Result?.StatusCode == HttpStatusCode.OK ? 10L : 1L),
                });
            });
        await using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient("paid-api");

        api.FailuresLeft = 1_000;
        await Assert.ThrowsAsync<BudgetExhaustedException>(() => http.GetAsync(new Uri("/v1/complete", UriKind.Relative)));

        // Each 503 holds 10 cents while it runs and costs 1: after 21 calls 9 cents remain, and the
        // 22nd reservation is refused, far below the retry cap of 100.
        Assert.Equal(21, api.Calls);
        Assert.Equal((21L, 0L, 9L), await sidecar.AccountAsync());
        // The refusal ends the request: the HTTP retry's transient predicate does not handle it.
        var context = ResilienceContextPool.Shared.Get();
        Assert.False(await new HttpRetryStrategyOptions().ShouldHandle(
            new RetryPredicateArguments<HttpResponseMessage>(context, Outcome.FromException<HttpResponseMessage>(new BudgetExhaustedException()), 0)));
        ResilienceContextPool.Shared.Return(context);
    }

    [Fact]
    public void TheOptions_AreValidatedLikePollysOwn()
    {
        var missingClient = Assert.Throws<ValidationException>(() => new ResiliencePipelineBuilder().AddBudget(new BudgetStrategyOptions { ReserveCents = 1 }));
        Assert.Contains("Client", missingClient.Message, StringComparison.Ordinal);

        var client = new BudgetSidecarClient(_http, new BudgetSidecarOptions { BaseAddress = new Uri("http://127.0.0.1:1") });
        foreach (var cents in new[] { 0L, -1L, 1_000_000_000_001L })
        {
            var badCents = Assert.Throws<ValidationException>(() => new ResiliencePipelineBuilder().AddBudget(new BudgetStrategyOptions { Client = client, ReserveCents = cents }));
            Assert.Contains("ReserveCents", badCents.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheSidecarOptions_AreValidatedWhenTheClientIsResolved_ListingEveryProblem()
    {
        var services = new ServiceCollection();
        services.AddBudgetRunSidecar(options =>
        {
            options.BaseAddress = new Uri("file:///tmp/sidecar");
            options.Token = "short";
            options.TokenFile = "/run/secrets/token";
            options.CompletionTimeout = TimeSpan.Zero;
        });
        await using var provider = services.BuildServiceProvider();

        var invalid = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<BudgetSidecarClient>());

        Assert.Equal(
            [
                "BudgetSidecarOptions.BaseAddress must be the sidecar's absolute http or https URL",
                "BudgetSidecarOptions: give Token or TokenFile, not both",
                "BudgetSidecarOptions.Token: a budget-run token is 16 to 4096 characters, not 5",
                "BudgetSidecarOptions.CompletionTimeout must be more than zero and at most 5 minutes",
            ],
            invalid.Failures);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The paid API of the tests: 503 while <see cref="FailuresLeft"/> lasts, then 200.</summary>
    private sealed class FlakyPaidApi : HttpMessageHandler
    {
        private int _calls;

        public int FailuresLeft { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(new HttpResponseMessage(FailuresLeft-- > 0 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK));
        }
    }

    /// <summary>The names of the budget strategy's telemetry events.</summary>
    private sealed class Events(List<string> names) : TelemetryListener
    {
        public override void Write<TResult, TArgs>(in TelemetryEventArguments<TResult, TArgs> args)
        {
            if (args.Event.EventName.StartsWith("Budget", StringComparison.Ordinal))
            {
                lock (names)
                {
                    names.Add(args.Event.EventName);
                }
            }
        }
    }
}
