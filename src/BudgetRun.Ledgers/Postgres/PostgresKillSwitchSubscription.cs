using System.Net.Sockets;
using Npgsql;

namespace BudgetRun.Ledgers.Postgres;

/// <summary>
/// Pokes a kill-switch watch when <c>pg_notify</c> announces a kill or resume of any level of the account path, on a
/// connection of its own that does nothing but <c>LISTEN</c>. A lost connection is made again in the
/// background, with a poke once it is back (a notification sent while it was down is lost; the poll
/// reads the truth); meanwhile polling alone reaches every kill.
/// </summary>
internal sealed class PostgresKillSwitchSubscription : IAsyncDisposable
{
    private static readonly TimeSpan _reconnectDelay = TimeSpan.FromMilliseconds(500);

    private readonly NpgsqlDataSource _dataSource;
    private readonly HashSet<string> _levels;
    private readonly Action _poke;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    private PostgresKillSwitchSubscription(NpgsqlDataSource dataSource, IEnumerable<string> levels, Action poke)
    {
        _dataSource = dataSource;
        _levels = new HashSet<string>(levels, StringComparer.Ordinal);
        _poke = poke;
    }

    /// <summary>Listens before it returns when the server answers (so a kill right after is pushed), else keeps trying in the background.</summary>
    public static async Task<PostgresKillSwitchSubscription> StartAsync(NpgsqlDataSource dataSource, IEnumerable<string> levels, Action poke)
    {
        var subscription = new PostgresKillSwitchSubscription(dataSource, levels, poke);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await subscription.ListenAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            // The loop tries again.
        }
        subscription._loop = Task.Run(() => subscription.RunAsync(connection));
        return subscription;
    }

    /// <summary>Stops listening; idempotent (the watch and then the ledger both end it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _loop.ConfigureAwait(false);
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(NpgsqlConnection? connection)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (connection is null)
                    {
                        connection = await ListenAsync().ConfigureAwait(false);
                        _poke();
                    }
                    await connection.WaitAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex) when (IsConnectionFault(ex))
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }
                    try
                    {
                        await Task.Delay(_reconnectDelay, TimeProvider.System, _stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<NpgsqlConnection> ListenAsync()
    {
        var connection = await _dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            connection.Notification += (_, e) =>
            {
                if (_levels.Contains(e.Payload))
                {
                    _poke();
                }
            };
            await using var command = new NpgsqlCommand(PostgresSql.Listen, connection);
            await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static bool IsConnectionFault(Exception error) =>
        error is NpgsqlException or IOException or SocketException or TimeoutException or InvalidOperationException;
}
