using Gateway.State;
using Gateway.State.Setup;
using Gateway.State.Views;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A swarm-store client built the way a process builds it (<see cref="StoreServiceCollectionExtensions.AddStores"/>
/// from settings): what a tracker or a second gateway holds, without the rest of a gateway.
/// </summary>
public sealed class StoreClient : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private bool _started;

    private StoreClient(ServiceProvider services) => _services = services;

    public IHoldingsStore Store => _services.GetRequiredService<IHoldingsStore>();

    public IVolunteerOverrides Overrides => _services.GetRequiredService<IVolunteerOverrides>();

    public ISwarmPeerStore Peers => _services.GetRequiredService<ISwarmPeerStore>();

    public StoreHealth Health => _services.GetRequiredService<StoreHealth>();

    /// <summary>The view its follower keeps (after <see cref="StartAsync"/>).</summary>
    public HoldingsView View => _services.GetRequiredService<HoldingsView>();

    /// <summary>Starts the client's background services: the follower that keeps <see cref="View"/> and the expiry sweeper.</summary>
    public async Task<StoreClient> StartAsync()
    {
        foreach (var service in _services.GetServices<IHostedService>())
        {
            await service.StartAsync(CancellationToken.None);
        }

        _started = true;
        return this;
    }

    /// <summary>A client of the Redis store at <paramref name="connectionString"/> under <paramref name="keyPrefix"/>, with extra <c>Store:*</c> settings.</summary>
    public static StoreClient Redis(string connectionString, string keyPrefix, params (string Key, string Value)[] settings) =>
        Redis(connectionString, keyPrefix, TimeProvider.System, settings);

    /// <summary>As the overload without a clock, on the clock <paramref name="time"/>.</summary>
    public static StoreClient Redis(string connectionString, string keyPrefix, TimeProvider time, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            new Dictionary<string, string?>
            {
                ["Store:Kind"] = "Redis",
                ["Store:Redis"] = connectionString,
                ["Store:KeyPrefix"] = keyPrefix,
                ["Store:OperationTimeout"] = "00:00:01",
                ["Store:RetryInterval"] = "00:00:00.2",
            }.Concat(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))).Build();
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddStores(configuration);
        return new StoreClient(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }));
    }

    /// <summary>A unique key prefix, so tests sharing one Redis never see each other's keys.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            foreach (var service in _services.GetServices<IHostedService>().Reverse())
            {
                await service.StopAsync(CancellationToken.None);
            }
        }

        await _services.DisposeAsync();
    }
}
