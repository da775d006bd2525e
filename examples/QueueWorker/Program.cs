// A queue worker beside `budget-run serve`: it takes jobs from a Redis list and calls a paid API
// (FakePaidApi: it fails as an outage would, at a rate you choose) through a Polly pipeline that
// retries, and whose every attempt is reserved and settled with the sidecar (AddBudget). When the
// shared account refuses, the job goes back on the queue and the worker stops taking jobs: the
// budget, not the retry cap, ends the storm.
//
//   REDIS_URL                  where the jobs are (default localhost:6379), list QUEUE (default jobs)
//   BUDGET_SIDECAR_URL         budget-run serve (default http://127.0.0.1:8080)
//   BUDGET_SIDECAR_TOKEN_FILE  its control token (optional)
//   FAKE_API_FAILURE_RATE      how often the paid API fails, 0 to 1 (default 0.5); FAKE_API_SEED
//   CALL_CENTS                 what one call may cost at most, reserved before it (default 40: 400 tokens)
using QueueWorker;
using StackExchange.Redis;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSimpleConsole(options => { options.SingleLine = true; options.TimestampFormat = "HH:mm:ss.fff "; });
builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning); // not a line per request to the sidecar
var settings = WorkerSettings.FromEnvironment(Environment.GetEnvironmentVariable);
builder.Services.AddSingleton(settings);
builder.Services.AddBudgetRunSidecar(options =>
{
    options.BaseAddress = settings.SidecarUrl;
    options.TokenFile = settings.SidecarTokenFile;
});
builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(settings.RedisUrl));
builder.Services.AddSingleton(new FakePaidApi(settings.FailureRate, settings.Seed));
builder.Services.AddHostedService<Worker>();

using var host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
