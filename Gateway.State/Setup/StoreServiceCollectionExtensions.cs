using Gateway.State.Memory;
using Gateway.State.Redis;
using Gateway.State.Resilience;
using Gateway.State.Views;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.State.Setup;

/// <summary>Registers the store chosen by <c>Store:Kind</c>, the view that follows it and its health.</summary>
public static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IHoldingsStore"/>, <see cref="IStoreResets"/> with its watch, <see cref="IVolunteerOverrides"/>, the tracker's <see cref="ISwarmPeerStore"/>, <see cref="HoldingsView"/> with its
    /// <see cref="HoldingsFollower"/>, <see cref="StoreHealth"/> with its <see cref="StoreMetrics"/> and the expiry sweeper. A test or host
    /// that registered its own <see cref="IHoldingsStore"/> first keeps it.
    /// </summary>
    public static IServiceCollection AddStores(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StoreOptions>().Bind(configuration.GetSection(StoreOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StoreOptions>, StoreOptionsValidator>();
        services.TryAddSingleton<StoreHealth>();
        services.AddMetrics();
        services.TryAddSingleton<StoreMetrics>();
        services.TryAddSingleton<StoreResilience>();

        // Only the kind in use is ever built: with Memory, no Redis connection is opened.
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<RedisStoreGeneration>();
        services.TryAddSingleton<IStoreResets>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisStoreGeneration>() : new NoStoreResets());
        services.TryAddSingleton<RedisHoldingsStore>();
        services.TryAddSingleton(sp => new InMemoryHoldingsStore(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<StoreOptions>>().Value.VolunteerTtl));
        services.TryAddSingleton<IHoldingsStore>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisHoldingsStore>() : sp.GetRequiredService<InMemoryHoldingsStore>());
        services.TryAddSingleton<IVolunteerOverrides>(sp => IsRedis(sp)
            ? ActivatorUtilities.CreateInstance<RedisVolunteerOverrides>(sp)
            : new InMemoryVolunteerOverrides());

        // The tracker's swarms: with Redis, through the store that keeps answering while Redis is down.
        services.TryAddSingleton<RedisSwarmPeerStore>();
        services.TryAddSingleton<ResilientSwarmPeerStore>();
        services.TryAddSingleton<ISwarmPeerStore>(sp => IsRedis(sp)
            ? sp.GetRequiredService<ResilientSwarmPeerStore>()
            : new InMemorySwarmPeerStore(sp.GetRequiredService<TimeProvider>()));

        services.TryAddSingleton<HoldingsView>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StoreOptions>>().Value;

            // The store's instruments exist wherever a view follows the store.
            _ = sp.GetRequiredService<StoreMetrics>();
            return new HoldingsFollower(sp.GetRequiredService<IHoldingsStore>(), sp.GetRequiredService<HoldingsView>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<HoldingsFollower>>())
            {
                ReconcileInterval = options.ReconcileInterval,
                ViewMaxAge = options.ViewMaxAge,
                Health = sp.GetRequiredService<StoreHealth>(),
                Resets = sp.GetRequiredService<IStoreResets>(),
            };
        });
        services.AddHostedService<StoreResetWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<HoldingsFollower>());
        services.AddHostedService<HoldingsExpirySweeper>();
        return services;
    }

    private static bool IsRedis(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StoreOptions>>().Value.Kind == StoreKind.Redis;
}
