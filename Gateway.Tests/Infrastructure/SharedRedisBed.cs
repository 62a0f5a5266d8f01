using Gateway.Tools.Publish;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// What gateways sharing one Redis are tested against: a published repository with one file, two real volunteers
/// (v1, v2) mirroring it, and a real redis-server (or a real Redis Cluster). The gateways are the test's own; this stops the rest.
/// </summary>
public sealed class SharedRedisBed : IAsyncDisposable
{
    private readonly RedisServer? _redis;

    private SharedRedisBed(TestRepository repository, RedisServer? redis, RedisCluster? cluster, List<TestVolunteer> volunteers)
    {
        Repository = repository;
        _redis = redis;
        Cluster = cluster;
        Volunteers = volunteers;
    }

    public TestRepository Repository { get; }

    /// <summary>The one redis-server (not in a bed started with a cluster).</summary>
    public RedisServer Redis => _redis ?? throw new InvalidOperationException("This bed runs a Redis Cluster, not one redis-server.");

    /// <summary>The cluster, in a bed started with one.</summary>
    public RedisCluster? Cluster { get; }

    /// <summary>What a gateway's <c>Store:Redis</c> names: the one server or every cluster node.</summary>
    public string ConnectionString => _redis?.ConnectionString ?? Cluster!.ConnectionString;

    public List<TestVolunteer> Volunteers { get; }

    public static Task<SharedRedisBed> StartAsync(string file, int chunkSize = RepositoryPublisher.DefaultChunkSize) =>
        StartAsync(file, chunkSize, replicasPerMaster: null);

    /// <summary>As <see cref="StartAsync(string, int)"/> on a 3-master Redis Cluster with <paramref name="replicasPerMaster"/> replicas each.</summary>
    public static Task<SharedRedisBed> StartClusterAsync(string file, int replicasPerMaster) =>
        StartAsync(file, RepositoryPublisher.DefaultChunkSize, replicasPerMaster);

    private static async Task<SharedRedisBed> StartAsync(string file, int chunkSize, int? replicasPerMaster)
    {
        var repository = new TestRepository();
        repository.Add(file, 300_000);
        await repository.PublishAsync(chunkSize);
        var redis = replicasPerMaster is null ? await RedisServer.StartAsync() : null;
        var cluster = replicasPerMaster is { } replicas ? await RedisCluster.StartAsync(replicas) : null;
        var volunteers = new List<TestVolunteer>();
        foreach (var id in new[] { "v1", "v2" })
        {
            volunteers.Add(await TestVolunteer.StartAsync(id, repository.MirrorFolder(id, [file])));
        }

        return new SharedRedisBed(repository, redis, cluster, volunteers);
    }

    /// <summary>Stops the test's gateways (those it started), then the bed.</summary>
    public async ValueTask DisposeAsync(params GatewayUnderTest?[] gateways)
    {
        foreach (var gateway in gateways)
        {
            if (gateway is not null)
            {
                await gateway.DisposeAsync();
            }
        }

        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        Repository.Dispose();
    }
}
