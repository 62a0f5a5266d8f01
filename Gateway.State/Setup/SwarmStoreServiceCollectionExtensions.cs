using Gateway.Core.Announce;
using Gateway.Core.Torrents;
using Gateway.State.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Gateway.State.Redis;
using Gateway.State.Resilience;
using Gateway.State.Views;

namespace Gateway.State.Setup;

/// <summary>Registers the swarm store chosen by <c>Store:Kind</c>, the view that follows it and its health.</summary>
public static class SwarmStoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ISwarmStore"/>, <see cref="IVolunteerOverrides"/>, the tracker's <see cref="IPeerStore"/>, <see cref="SwarmView"/> with its
    /// <see cref="SwarmFollower"/>, <see cref="StoreHealth"/> with its <see cref="StoreMetrics"/> and the expiry sweeper. A test or host
    /// that registered its own <see cref="ISwarmStore"/> first keeps it.
    /// </summary>
    public static IServiceCollection AddSwarmStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StoreOptions>().Bind(configuration.GetSection(StoreOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>();
        services.TryAddSingleton<StoreHealth>();
        services.AddMetrics();
        services.TryAddSingleton<StoreMetrics>();
        services.TryAddSingleton<SwarmStoreResilience>();

        // Only the kind in use is ever built: with Memory, no Redis connection is opened.
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<RedisSwarmStore>();
        services.TryAddSingleton(sp => new InMemorySwarmStore(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<StoreOptions>>().Value.VolunteerTtl));
        services.TryAddSingleton<ISwarmStore>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisSwarmStore>() : sp.GetRequiredService<InMemorySwarmStore>());
        services.TryAddSingleton<IVolunteerOverrides>(sp => IsRedis(sp)
            ? ActivatorUtilities.CreateInstance<RedisVolunteerOverrides>(sp)
            : new InMemoryVolunteerOverrides());

        // The tracker's swarms: with Redis, through the store that keeps answering while Redis is down.
        services.TryAddSingleton<RedisPeerStore>();
        services.TryAddSingleton<ResilientPeerStore>();
        services.TryAddSingleton<IPeerStore>(sp => IsRedis(sp)
            ? sp.GetRequiredService<ResilientPeerStore>()
            : new InMemoryPeerStore(sp.GetRequiredService<TimeProvider>()));

        services.TryAddSingleton<SwarmView>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StoreOptions>>().Value;

            // The store's instruments exist wherever a view follows the store.
            _ = sp.GetRequiredService<StoreMetrics>();
            return new SwarmFollower(sp.GetRequiredService<ISwarmStore>(), sp.GetRequiredService<SwarmView>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SwarmFollower>>())
            {
                ReconcileInterval = options.ReconcileInterval,
                ViewMaxAge = options.ViewMaxAge,
                Health = sp.GetRequiredService<StoreHealth>(),
            };
        });
        services.AddHostedService(sp => sp.GetRequiredService<SwarmFollower>());
        services.AddHostedService<SwarmExpirySweeper>();
        return services;
    }

    private static bool IsRedis(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StoreOptions>>().Value.Kind == StoreKind.Redis;
}
