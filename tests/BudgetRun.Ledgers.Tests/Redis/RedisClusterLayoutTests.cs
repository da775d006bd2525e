using System.Diagnostics;
using System.Net;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using StackExchange.Redis;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// What only a cluster shows: where a tree's keys live (one slot, its root's), accounts spread over
/// several nodes, the kill switch's pub/sub across nodes, and the move from the previous layout,
/// whose old and new places are in different slots.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterLayoutTests(RedisClusterFixture redis) : IAsyncLifetime
{
    private readonly string _root = "root-" + Guid.NewGuid().ToString("N")[..8];
    private ConnectionMultiplexer? _connection;

    private ConnectionMultiplexer Connection => _connection!;

    private LedgerLocation Location => LedgerUriParser.Parse(redis.Cluster.Uri, Environment.GetEnvironmentVariable);

    public async Task InitializeAsync() =>
        _connection = await ConnectionMultiplexer.ConnectAsync(string.Join(',', redis.Cluster.Ports.Select(port => $"127.0.0.1:{port}")));

    public async Task DisposeAsync() => await Connection.DisposeAsync();

    [Fact]
    public async Task ThreeLevelTree_LivesInItsRootsSlot_OnTheNodeThatOwnsIt()
    {
        await using var root = await OpenAsync(_root, 100);
        await using var middle = await OpenAsync($"{_root}/a", 80);
        await using var leaf = await OpenAsync($"{_root}/a/b", 50);

        Assert.Equal(ReserveStatus.Reserved, (await leaf.ReserveAsync(20, default)).Status);

        var slot = KeySlot($"budget-run:{{{_root}}}:acct");
        var owner = NodeOf(slot);
        var keys = new List<string>();
        foreach (var server in Primaries())
        {
            var found = new List<string>();
            await foreach (var key in server.KeysAsync(pattern: $"budget-run:{{{_root}}}*"))
            {
                found.Add((string)key!);
            }
            Assert.True(server.EndPoint.Equals(owner) || found.Count == 0, $"{server.EndPoint} holds keys of {_root}, whose slot {slot} is {owner}'s");
            keys.AddRange(found);
        }
        Assert.Contains($"budget-run:{{{_root}}}:acct", keys);
        Assert.Contains($"budget-run:{{{_root}}}/a:acct", keys);
        Assert.Contains($"budget-run:{{{_root}}}/a/b:acct", keys);
        Assert.Contains($"budget-run:{{{_root}}}:b:all", keys); // the reservation held cents on the root too
        Assert.All(keys, key => Assert.Equal(slot, KeySlot(key)));
    }

    [Fact]
    public async Task RootsOnDifferentNodes_EachReserve_AndAreAllListed()
    {
        var roots = RootsOnEveryNode();

        foreach (var root in roots)
        {
            await using var ledger = await OpenAsync($"{root}/team", 10);
            Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(10, default)).Status);
            Assert.Equal(ReserveStatus.Insufficient, (await ledger.ReserveAsync(1, default)).Status);
        }

        var listed = await LedgerFactory.ListAccountsAsync(Location, _root + "-");
        Assert.Equal(roots.Order(StringComparer.Ordinal).Select(root => root + "/team"), listed.Select(entry => entry.Key));
    }

    [Fact]
    public async Task OneSeed_DiscoversTheOtherNodes_AndListsAccountsOnEveryNode()
    {
        var roots = RootsOnEveryNode();
        foreach (var root in roots)
        {
            await using var ledger = await OpenAsync(root, 10);
        }
        var oneSeed = LedgerUriParser.Parse($"redis://127.0.0.1:{redis.Cluster.Ports[0]}/0", Environment.GetEnvironmentVariable);

        var listed = await LedgerFactory.ListAccountsAsync(oneSeed, _root + "-");

        Assert.Equal(roots.Order(StringComparer.Ordinal), listed.Select(entry => entry.Key));
    }

    [Fact]
    public async Task DatabaseOtherThanZero_OnACluster_FailsToOpen_WithOneLine()
    {
        var location = LedgerUriParser.Parse(redis.Cluster.Uri[..^1] + "2", Environment.GetEnvironmentVariable);

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () =>
            await LedgerFactory.OpenAsync(location, new LedgerAccount(_root, 10, BudgetWindow.None), RunIdentity.ForCurrentProcess()));

        Assert.Contains("database 0", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task KillSwitch_ReachesAnotherLedgerWithinOneSecond_ByPubSubAlone()
    {
        var options = new LedgerOptions { KillSwitchPollInterval = TimeSpan.FromHours(1) };
        await using var runner = await LedgerFactory.OpenAsync(Location, new LedgerAccount($"{_root}/a/b", 100, BudgetWindow.None),
            RunIdentity.ForCurrentProcess(), options);
        await using var admin = await LedgerFactory.OpenAsync(Location, new LedgerAccount(_root, null, null), RunIdentity.ForCurrentProcess());
        var engaged = new TaskCompletionSource<KillSwitchState>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.KillSwitchChanged += (_, state) =>
        {
            if (state.Engaged)
            {
                engaged.TrySetResult(state);
            }
        };
        await using var watch = await runner.WatchKillSwitchAsync(default);
        await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System); // the first poll has seen it off

        var clock = Stopwatch.StartNew();
        await admin.KillAsync("cluster-wide stop", default);

        var seen = await engaged.Task.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.Equal((true, _root), (seen.Engaged, seen.Account));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AccountOfThePreviousLayout_InAnotherSlot_IsMovedByDumpAndRestore()
    {
        var key = $"{_root}/old";
        var legacy = $"budget-run:{{{key}}}";
        Assert.NotEqual(KeySlot(legacy + ":acct"), KeySlot($"budget-run:{{{_root}}}/old:acct"));
        await Connection.GetDatabase().HashSetAsync(legacy + ":acct", [new("limit", 100), new("window", 86_400)]);
        await Connection.GetDatabase().StringSetAsync(legacy + ":b:1", 40);

        await using var run = await OpenAsync(key, 7);

        Assert.Equal(new AccountTerms(100, BudgetWindow.FromSeconds(86_400)), run.Terms);
        Assert.False(await Connection.GetDatabase().KeyExistsAsync(legacy + ":acct"));
        Assert.False(await Connection.GetDatabase().KeyExistsAsync(legacy + ":b:1"));
        Assert.Equal(40, (long)await Connection.GetDatabase().StringGetAsync($"budget-run:{{{_root}}}/old:b:1"));
        await using var again = await OpenAsync(key, 7);
        Assert.Equal(new AccountTerms(100, BudgetWindow.FromSeconds(86_400)), again.Terms);
    }

    private async Task<AccountLedger> OpenAsync(string key, long limit) =>
        await LedgerFactory.OpenAsync(Location, new LedgerAccount(key, limit, BudgetWindow.None), RunIdentity.ForCurrentProcess());

    /// <summary>One root per node: roots whose slots the nodes own, one each.</summary>
    private string[] RootsOnEveryNode()
    {
        var byNode = new Dictionary<EndPoint, string>();
        for (var i = 0; byNode.Count < RedisCluster.NodeCount; i++)
        {
            var root = $"{_root}-{i}";
            byNode.TryAdd(NodeOf(KeySlot($"budget-run:{{{root}}}:acct")), root);
        }
        return [.. byNode.Values];
    }

    private IServer[] Primaries() => [.. Connection.GetServers().Where(server => !server.IsReplica)];

    private int KeySlot(string key) => (int)Primaries()[0].Execute("CLUSTER", "KEYSLOT", key);

    private EndPoint NodeOf(int slot) => Primaries()[0].ClusterConfiguration!.GetBySlot(slot)!.EndPoint!;
}
