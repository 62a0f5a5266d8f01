namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real 3-master Redis Cluster on loopback (<see cref="RedisServer"/>s joined by <c>redis-cli --cluster create</c>),
/// optionally with replicas for each master.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private RedisCluster(IReadOnlyList<RedisServer> nodes) => Nodes = nodes;

    public IReadOnlyList<RedisServer> Nodes { get; }

    public string ConnectionString => string.Join(',', Nodes.Select(n => n.ConnectionString));

    public static async Task<RedisCluster> StartAsync(int replicasPerMaster = 0)
    {
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < 3 * (1 + replicasPerMaster); i++)
            {
                // nodes.conf is relative to the node's own --dir.
                nodes.Add(await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"));
            }

            var create = await CommandLine.RunAsync(
                "redis-cli",
                ["--cluster", "create", .. nodes.Select(n => n.ConnectionString), "--cluster-replicas", replicasPerMaster.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cluster-yes"],
                TimeSpan.FromSeconds(60));
            Assert.True(create.ExitCode == 0, $"redis-cli --cluster create failed: {create.Stdout} {create.Stderr}");
            foreach (var node in nodes)
            {
                var last = string.Empty;
                await Eventually.HoldsAsync(
                    async () => (last = (await node.CliAsync("cluster", "info")).Stdout).Contains("cluster_state:ok", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30),
                    () => $"node {node.Port} did not reach cluster_state:ok: {last}");
            }

            return new RedisCluster(nodes);
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The master that owns the slot of hash tag <paramref name="tag"/>, and one of its replicas.</summary>
    public async Task<(RedisServer Primary, RedisServer Replica)> OwnersOfAsync(string tag)
    {
        var live = Nodes.First(n => n.ProcessId != 0);
        var slot = int.Parse((await live.CliAsync("CLUSTER", "KEYSLOT", tag)).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // CLUSTER NODES: id ip:port@bus flags master-id ping pong epoch state [slot ranges…]. A replica shows there once
        // the nodes have gossiped about it, and is worth promoting once its link to the master is up.
        string[]? primary = null, replica = null;
        var nodes = string.Empty;
        await Eventually.HoldsAsync(
            async () =>
            {
                nodes = (await live.CliAsync("CLUSTER", "NODES")).Stdout;
                var lines = nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
                primary = lines.SingleOrDefault(f => f[2].Contains("master", StringComparison.Ordinal) && f.Skip(8).Any(r => Covers(r, slot)));
                replica = primary is null ? null : lines.FirstOrDefault(f => f[3] == primary[0]);
                return replica is not null
                    && (await NodeAt(replica[1]).CliAsync("INFO", "replication")).Stdout.Contains("master_link_status:up", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(30),
            () => $"no replica in sync for slot {slot}: {nodes}");
        return (NodeAt(primary![1]), NodeAt(replica![1]));

        static bool Covers(string range, int slot)
        {
            var ends = range.Split('-');
            var low = int.Parse(ends[0], System.Globalization.CultureInfo.InvariantCulture);
            var high = ends.Length > 1 ? int.Parse(ends[1], System.Globalization.CultureInfo.InvariantCulture) : low;
            return slot >= low && slot <= high;
        }

        RedisServer NodeAt(string address) =>
            Nodes.Single(n => address.StartsWith($"127.0.0.1:{n.Port}@", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
