using Gateway.Feedback.Server;
using Gateway.Feedback.Tracker;

namespace Gateway.Hosting;

/// <summary>Wires the tracker to the gateway's catalog and volunteer configuration.</summary>
public static class GatewayTrackerRegistration
{
    /// <summary>Registers the tracker; it runs when <paramref name="host"/> is true (the <c>tracker</c> command) or <c>Tracker:Enabled</c> is.</summary>
    public static IServiceCollection AddGatewayTracker(this IServiceCollection services, IConfiguration configuration, bool host = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(TrackerOptions.Section);
        services.AddSingleton<ITorrentDirectory, CatalogTorrentDirectory>();
        services.AddSingleton<IVolunteerKeys, ConfiguredVolunteerKeys>();
        return services.AddTracker(section, host || section.GetValue<bool>(nameof(TrackerOptions.Enabled)));
    }
}
