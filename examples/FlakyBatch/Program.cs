// A batch job that calls a flaky paid API: the first two runs fail (exit 1, as an outage would),
// the third succeeds. The number of runs so far lives in a state file, so the job fails twice and
// then succeeds under any supervisor that retries it; budget-run does so under a hard budget.
//
//   FLAKY_STATE      state file (default: flaky-batch.state in the temp directory)
//   FLAKY_FAILURES   how many runs fail before one succeeds (default 2)
//   FLAKY_RECORD_CENTS  what one record costs at the paid API (default 5), reported to budget-run
//
// Each record's real cost goes to budget-run with BudgetRun.Client's BudgetRunChild (POST /cost,
// with the URL and token budget-run puts in the environment); outside budget-run that is a no-op.
using System.Globalization;
using BudgetRun.Client;

var statePath = Environment.GetEnvironmentVariable("FLAKY_STATE") is { Length: > 0 } configured
    ? configured
    : Path.Combine(Path.GetTempPath(), "flaky-batch.state");
var recordCents = long.TryParse(Environment.GetEnvironmentVariable("FLAKY_RECORD_CENTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 5;
var failures = int.TryParse(Environment.GetEnvironmentVariable("FLAKY_FAILURES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 2;

BudgetRunChild budget;
try
{
    budget = BudgetRunChild.FromEnvironment();
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"flaky-batch: {e.Message}");
    return 2;
}
using var _ = budget;

var run = (File.Exists(statePath) && int.TryParse(File.ReadAllText(statePath), NumberStyles.None, CultureInfo.InvariantCulture, out var previous) ? previous : 0) + 1;
File.WriteAllText(statePath, run.ToString(CultureInfo.InvariantCulture));

Console.WriteLine($"flaky-batch: run {run}: processing 3 records");
if (run <= failures)
{
    Console.Error.WriteLine($"flaky-batch: run {run}: upstream API answered 503 Service Unavailable");
    return 1;
}
for (var record = 1; record <= 3; record++)
{
    Console.WriteLine($"flaky-batch: record {record} done");
    if (recordCents == 0)
    {
        continue;
    }
    try
    {
        var spend = await budget.ReportCostAsync(recordCents);
        if (spend is not null)
        {
            Console.WriteLine($"flaky-batch: record {record} cost {recordCents} cents; the run has {spend}");
        }
    }
    catch (BudgetExhaustedException e)
    {
        // budget-run is stopping this attempt: stop cleanly before it has to.
        Console.Error.WriteLine($"flaky-batch: {e.Message}; stopping");
        return 75;
    }
}
File.Delete(statePath); // the next invocation starts a fresh batch
Console.WriteLine("flaky-batch: batch complete");
return 0;
