namespace Gateway.Tests.Infrastructure;

/// <summary>A real 3-master Redis Cluster on loopback (three <see cref="RedisServer"/>s joined by <c>redis-cli --cluster create</c>).</summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private RedisCluster(IReadOnlyList<RedisServer> nodes) => Nodes = nodes;

    public IReadOnlyList<RedisServer> Nodes { get; }

    public string ConnectionString => string.Join(',', Nodes.Select(n => n.ConnectionString));

    public static async Task<RedisCluster> StartAsync()
    {
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                // nodes.conf is relative to the node's own --dir.
                nodes.Add(await RedisServer.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"));
            }

            var create = await CommandLine.RunAsync(
                "redis-cli",
                ["--cluster", "create", .. nodes.Select(n => n.ConnectionString), "--cluster-replicas", "0", "--cluster-yes"],
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

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
