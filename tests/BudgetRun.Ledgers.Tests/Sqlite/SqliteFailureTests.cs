using System.Diagnostics;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Sqlite;

/// <summary>The SQLite ledger fails closed, with one line naming the file, and counts every failure.</summary>
public sealed class SqliteFailureTests(ITestOutputHelper output) : IDisposable
{
    private readonly Scratch _directory = new();
    private readonly List<LedgerFault> _faults = [];

    private string DatabasePath => _directory.Path("ledger.db");

    [Fact]
    public async Task Reserve_WhileAnotherConnectionHoldsTheWriteLockPastTheBusyTimeout_FailsClosed_AndTheDatabaseStaysIntact()
    {
        await using var ledger = await OpenAsync(new LedgerOptions { BusyTimeout = TimeSpan.FromSeconds(1), OnFault = Record });
        await ledger.ReserveAsync(7, default);
        await using var blocker = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; UPDATE buckets SET spent_cents = spent_cents + 1000;";
            await begin.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await ledger.ReserveAsync(7, default));
        var waited = clock.Elapsed;

        output.WriteLine($"{error.Message} (after {waited.TotalMilliseconds:0} ms)");
        Assert.Equal($"ledger sqlite:{DatabasePath} is unavailable: the database is locked by another writer (waited 1s)", error.Message);
        Assert.InRange(waited, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Equal(("reserve", 1L), (Assert.Single(_faults).Operation.DisplayName(), ledger.FaultCount));
        Assert.Equal(7, (await ledger.StatusAsync(default)).ReservedCents); // WAL: readers are never blocked by the writer

        await using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }
        Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(7, default)).Status);
        Assert.Equal((0L, 14L), ((await ledger.StatusAsync(default)).SpentCents, (await ledger.StatusAsync(default)).ReservedCents));
        await using var check = blocker.CreateCommand();
        check.CommandText = "PRAGMA integrity_check;";
        Assert.Equal("ok", await check.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ReadOnlyDatabaseFile_FailsClosed()
    {
        await using (var first = await OpenAsync())
        {
            await first.ReserveAsync(7, default);
        }
        using var readOnly = new ReadOnlyFile(DatabasePath);

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () =>
        {
            await using var ledger = await OpenAsync(new LedgerOptions { OnFault = Record });
            await ledger.ReserveAsync(7, default);
        });

        output.WriteLine(error.Message);
        Assert.StartsWith($"ledger sqlite:{DatabasePath} is unavailable: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Single(_faults);
    }

    [Fact]
    public async Task UnwritableDirectory_FailsClosedAtOpen()
    {
        File.WriteAllText(_directory.Path("not-a-directory"), "");
        var path = _directory.Path("not-a-directory/ledger.db");

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () =>
            await LedgerFactory.OpenAsync(new SqliteLedgerLocation(path), new LedgerAccount("k", 100, BudgetWindow.None),
                RunIdentity.ForCurrentProcess(), new LedgerOptions { OnFault = Record }, TimeProvider.System));

        output.WriteLine(error.Message);
        Assert.StartsWith($"ledger sqlite:{path} is unavailable: cannot create the database's directory", error.Message, StringComparison.Ordinal);
        Assert.Equal("open", Assert.Single(_faults).Operation.DisplayName());
    }

    [Fact]
    public async Task DatabaseFromANewerVersion_IsRefused()
    {
        await using (var first = await OpenAsync())
        {
            await first.ReserveAsync(7, default);
        }
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await OpenAsync());

        Assert.EndsWith("schema version 99, written by a newer budget-run (this one knows 3)", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();

    private async Task<AccountLedger> OpenAsync(LedgerOptions? options = null) =>
        await LedgerFactory.OpenAsync(new SqliteLedgerLocation(DatabasePath), new LedgerAccount("nightly-batch", 100, BudgetWindow.None),
            RunIdentity.ForCurrentProcess(), options ?? LedgerOptions.Default, TimeProvider.System);

    private void Record(LedgerFault fault)
    {
        lock (_faults)
        {
            _faults.Add(fault);
        }
    }
}
