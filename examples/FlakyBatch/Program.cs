// A batch job that calls a flaky paid API: the first two runs fail (exit 1, as an outage would),
// the third succeeds. The number of runs so far lives in a state file, so the job fails twice and
// then succeeds under any supervisor that retries it; budget-run does so under a hard budget.
//
//   FLAKY_STATE      state file (default: flaky-batch.state in the temp directory)
//   FLAKY_FAILURES   how many runs fail before one succeeds (default 2)
using System.Globalization;

var statePath = Environment.GetEnvironmentVariable("FLAKY_STATE") is { Length: > 0 } configured
    ? configured
    : Path.Combine(Path.GetTempPath(), "flaky-batch.state");
var failures = int.TryParse(Environment.GetEnvironmentVariable("FLAKY_FAILURES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 2;

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
}
File.Delete(statePath); // the next invocation starts a fresh batch
Console.WriteLine("flaky-batch: batch complete");
return 0;
