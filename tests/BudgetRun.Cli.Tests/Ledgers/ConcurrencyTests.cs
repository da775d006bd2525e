using System.Diagnostics;
using BudgetRun.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Issue 5's concurrency test: 20 budget-runs started together on one account of 100 cents, 7 cents
/// an attempt, children that always fail. Reservations are atomic, so all of them together spend at
/// most 98 cents (14 attempts), and what their reports say they spent is what the ledger recorded.
/// Serial: twenty processes on two cores would blur the timings of the other tests.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ConcurrencyTests(RedisFixture redis, ITestOutputHelper output) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    private const int Runs = 20;
    private const long LimitCents = 100;
    private const long CostCents = 7;
    private const long MostCents = LimitCents / CostCents * CostCents;

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task TwentyRuns_SharingOneKey_SpendAtMost98Cents_AsTheirReportsAndTheLedgerAgree(LedgerKind kind)
    {
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, Runs)
            .Select(i => Launch([.. Budget(kind, LimitCents, CostCents), "--max-attempts", "50", "--base-delay", "10ms", "--max-delay", "10ms",
                "--report", ReportPath(i), "--", .. Child("exit", "1")], timeout: TimeSpan.FromMinutes(3)))
            .ToList();
        ProcessResult[] results;
        try
        {
            results = await Task.WhenAll(runs.Select(run => run.WaitAsync()));
        }
        finally
        {
            runs.ForEach(run => run.Dispose());
        }
        var elapsed = clock.Elapsed;
        var status = await StatusAsync(kind);
        var reports = Enumerable.Range(0, Runs).Select(i => RunReport.Load(ReportPath(i))).ToList();
        var attempts = reports.SelectMany(report => report.Attempts).ToList();
        var attemptCents = attempts.Sum(attempt => reports[0].Number(attempt, "costCents"));
        output.WriteLine($"{kind}: {Runs} runs ended after {elapsed.TotalSeconds:0.0}s; {attempts.Count} attempts, "
            + $"{attemptCents} cents by the attempts, ledger spent {status.SpentCents} reserved {status.ReservedCents}; "
            + $"exit codes {string.Join(',', results.Select(result => result.ExitCode))}");

        foreach (var (result, report) in results.Zip(reports))
        {
            result.AssertNoStackTrace();
            Assert.True(result.ExitCode is 75 or 1, $"expected 75 (budget) or 1 (attempt cap)\n{result}");
            Assert.Equal(result.ExitCode == 75 ? "budgetExhausted" : "attemptsExhausted", report.Outcome);
        }
        Assert.True(status.SpentCents <= MostCents, $"the account spent {status.SpentCents} cents of {LimitCents}: overspent\n{status}");
        Assert.Equal(0, status.ReservedCents);
        Assert.Equal(status.SpentCents, attemptCents);
        Assert.Equal(status.SpentCents, attempts.Count * CostCents);
        // The report's costCents is what that run spent: summed over the fleet, it is the account's spend.
        var reported = reports.Sum(report => report.CostCents);
        Assert.True(reported == status.SpentCents,
            $"the {Runs} reports' costCents add up to {reported}, the ledger recorded {status.SpentCents} spent "
            + $"(per report: {string.Join(", ", reports.Select(report => $"{report.CostCents} in {report.Attempts.Count} attempt(s)"))})");
    }

    private string ReportPath(int run) => Scratch.Path($"report-{run}.json");
}
