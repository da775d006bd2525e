using System.Globalization;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Real runs a few seconds before and after a calendar window's edge: the machine's clock (a
/// SQLite ledger's) is set with libfaketime (<see cref="FakeTime"/>) to just before a month's end
/// and a day that daylight saving time shortens or lengthens in Europe/Berlin, and each run is a
/// real budget-run spending from the window its clock is in. The injected-clock side of the same
/// rules is <c>CalendarWindowTests</c> (BudgetRun.Ledgers.Tests).
/// </summary>
public sealed class CalendarBoundaryRunTests : LedgerTest
{
    public CalendarBoundaryRunTests()
        : base(null)
    {
    }

    [Theory]
    // October ends at 00:00 CET = 23:00 UTC (summer time is over by then).
    [InlineData("month", "2026-10-31T22:59:56Z", "2026-10-31T23:00:00Z", "2026-11-30T23:00:00Z")]
    // Summer time starts: the day is 23 hours, 2026-03-28T23:00Z to 2026-03-29T22:00Z.
    [InlineData("day", "2026-03-29T21:59:56Z", "2026-03-29T22:00:00Z", "2026-03-30T22:00:00Z")]
    // Summer time ends: the day is 25 hours, 2026-10-24T22:00Z to 2026-10-25T23:00Z (one hour past a 24-hour day's end).
    [InlineData("day", "2026-10-25T22:59:56Z", "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z")]
    // A week starts on Monday 00:00 local: 2026-11-30 is a Monday.
    [InlineData("week", "2026-11-29T22:59:56Z", "2026-11-29T23:00:00Z", "2026-12-06T23:00:00Z")]
    public async Task RunsJustBeforeAndAfterTheEdge_SpendFromTheirOwnWindow(string window, string before, string edge, string nextEnd)
    {
        var (justBefore, windowEdge) = (DateTimeOffset.Parse(before, CultureInfo.InvariantCulture), DateTimeOffset.Parse(edge, CultureInfo.InvariantCulture));
        (await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "100", "--budget-window", window,
            "--timezone", "Europe/Berlin"])).AssertExitCode(0);

        (await SpendAsync(justBefore, 60)).AssertExitCode(0);
        var old = await StatusAsync(LedgerKind.Sqlite, environment: FakeTime.StartingAt(justBefore.AddSeconds(1)));
        Assert.Equal((60L, windowEdge), (old.SpentCents, old.WindowEndsAt!.Value));
        (await SpendAsync(justBefore.AddSeconds(1), 60)).AssertExitCode(75); // 40 remain until the edge

        (await SpendAsync(windowEdge.AddSeconds(1), 60)).AssertExitCode(0); // a new window, empty

        var next = await StatusAsync(LedgerKind.Sqlite, environment: FakeTime.StartingAt(windowEdge.AddSeconds(2)));
        Assert.Equal((60L, DateTimeOffset.Parse(nextEnd, CultureInfo.InvariantCulture)), (next.SpentCents, next.WindowEndsAt!.Value));
    }

    private Task<ProcessResult> SpendAsync(DateTimeOffset at, long cents) =>
        RunToEndAsync([.. Budget(LedgerKind.Sqlite, 100, cents), "--max-attempts", "1", "--", .. Child("exit", "0")], FakeTime.StartingAt(at));
}
