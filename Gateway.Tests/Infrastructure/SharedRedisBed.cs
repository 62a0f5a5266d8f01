using Gateway.Tools.Publish;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// What gateways sharing one Redis are tested against: a published repository with one file, two real volunteers
/// (v1, v2) mirroring it, and a real redis-server. The gateways are the test's own; this stops the rest.
/// </summary>
public sealed class SharedRedisBed : IAsyncDisposable
{
    private SharedRedisBed(TestRepository repository, RedisServer redis, List<TestVolunteer> volunteers)
    {
        Repository = repository;
        Redis = redis;
        Volunteers = volunteers;
    }

    public TestRepository Repository { get; }

    public RedisServer Redis { get; }

    public List<TestVolunteer> Volunteers { get; }

    public static async Task<SharedRedisBed> StartAsync(string file, int chunkSize = RepositoryPublisher.DefaultChunkSize)
    {
        var repository = new TestRepository();
        repository.Add(file, 300_000);
        await repository.PublishAsync(chunkSize);
        var redis = await RedisServer.StartAsync();
        var volunteers = new List<TestVolunteer>();
        foreach (var id in new[] { "v1", "v2" })
        {
            volunteers.Add(await TestVolunteer.StartAsync(id, repository.MirrorFolder(id, [file])));
        }

        return new SharedRedisBed(repository, redis, volunteers);
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
        await Redis.DisposeAsync();
        Repository.Dispose();
    }
}
