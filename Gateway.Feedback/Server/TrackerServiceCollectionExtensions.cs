using Gateway.Feedback.Http;
using Gateway.Feedback.Tracker;
using Gateway.Feedback.Udp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Server;

/// <summary>
/// Registers the tracker; the host supplies <see cref="ITorrentDirectory"/>, <see cref="IVolunteerKeys"/> and the stores
/// (<c>AddStores</c> in Gateway.State: the swarm peers and the holdings, registered there and nowhere else).
/// </summary>
public static class TrackerServiceCollectionExtensions
{
    /// <summary>Adds the tracker's parts and, when <paramref name="host"/> is true, runs it (<see cref="TrackerServer"/>).</summary>
    public static IServiceCollection AddTracker(this IServiceCollection services, IConfiguration section, bool host)
    {
        services.AddOptions<TrackerOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrackerOptions>, TrackerOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<HoldingsRecorder>();
        services.AddSingleton<TrackerStoreRebuild>();
        services.AddHostedService(sp => sp.GetRequiredService<TrackerStoreRebuild>());
        services.AddSingleton<SyncRateEstimator>();
        services.AddSingleton<SwarmTracker>();
        services.AddSingleton<TrackerMetrics>();
        services.AddSingleton<AddressRateLimiter>();
        services.AddSingleton(sp =>
        {
            var secret = sp.GetRequiredService<IOptions<TrackerOptions>>().Value.UdpSecret;
            var key = secret.Length > 0 ? Convert.FromBase64String(secret) : UdpConnectionIds.RandomKey();
            return new UdpConnectionIds(key, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<UdpTrackerProtocol>();
        services.AddSingleton<HttpTrackerFrontend>();
        services.AddSingleton<HttpTrackerListener>();
        services.AddSingleton<TrackerServer>();
        if (host)
        {
            services.AddHostedService(sp => sp.GetRequiredService<TrackerServer>());
        }

        return services;
    }
}
