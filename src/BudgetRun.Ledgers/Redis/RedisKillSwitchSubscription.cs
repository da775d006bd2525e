using StackExchange.Redis;

namespace BudgetRun.Ledgers.Redis;

/// <summary>
/// Pokes a kill-switch watch when the channel of any level of the account path announces a kill or resume, and when the
/// connection comes back (a message published while it was down is lost; the poll reads the truth).
/// </summary>
internal sealed class RedisKillSwitchSubscription : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly RedisChannel[] _channels;
    private readonly Action<RedisChannel, RedisValue> _onMessage;
    private readonly EventHandler<ConnectionFailedEventArgs> _onRestored;

    private RedisKillSwitchSubscription(ConnectionMultiplexer connection, RedisChannel[] channels, Action poke)
    {
        _connection = connection;
        _channels = channels;
        _onMessage = (_, _) => poke();
        _onRestored = (_, _) => poke();
    }

    public static async Task<RedisKillSwitchSubscription> StartAsync(ConnectionMultiplexer connection, RedisChannel[] channels, Action poke)
    {
        var subscription = new RedisKillSwitchSubscription(connection, channels, poke);
        connection.ConnectionRestored += subscription._onRestored;
        try
        {
            foreach (var channel in channels)
            {
                await connection.GetSubscriber().SubscribeAsync(channel, subscription._onMessage).ConfigureAwait(false);
            }
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return subscription;
    }

    public async ValueTask DisposeAsync()
    {
        _connection.ConnectionRestored -= _onRestored;
        try
        {
            // Fire and forget: the connection closes right after, and a paused or slow server must
            // not hold the end of the run (it once waited out the 3 s timeout, then threw).
            foreach (var channel in _channels)
            {
                await _connection.GetSubscriber().UnsubscribeAsync(channel, _onMessage, CommandFlags.FireAndForget).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // A paused server: nothing to wait for.
        }
        catch (RedisException)
        {
            // Disconnected: the server forgets the subscription with the connection.
        }
        catch (ObjectDisposedException)
        {
            // The ledger closed first.
        }
    }
}
