using System.Diagnostics.Metrics;

namespace Gateway.State;

/// <summary>
/// The store (swarm peers and holdings)'s state as instruments on the store's meter (<c>Gateway.Store</c>), read from
/// <see cref="StoreHealth"/> whenever an exporter collects: following, staleness, notification delay and
/// buffered writes, each tagged with the store's kind. (Whether the store answers is the gateway's
/// <c>gateway.store.reachable</c>.)
/// </summary>
public sealed class StoreMetrics
{
    /// <summary>The store's meter (exported with the gateway's, which takes every <c>Gateway.*</c> meter).</summary>
    public const string MeterName = "Gateway.Store";

    public StoreMetrics(StoreHealth health, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("gateway.store.following", () => Tagged(health, health.IsFollowing ? 1 : 0), "1", "1 while the view follows the store's changes");
        meter.CreateObservableGauge("gateway.store.staleness", () => Staleness(health), "s", "How far behind the store the view may be");
        meter.CreateObservableGauge("gateway.store.change_lag", () => Tagged(health, health.LastChangeLag.TotalSeconds), "s", "Delay of the last change notification, from the store applying it to this process receiving it");
        meter.CreateObservableGauge("gateway.store.pending_writes", () => Tagged(health, health.PendingWrites), "{volunteer}", "Volunteers with writes buffered while the store is unreachable");
    }

    private static Measurement<T> Tagged<T>(StoreHealth health, T value)
        where T : struct => new(value, new KeyValuePair<string, object?>("kind", health.Kind.ToString().ToLowerInvariant()));

    private static IEnumerable<Measurement<double>> Staleness(StoreHealth health)
    {
        var staleness = health.Staleness;
        return staleness == TimeSpan.MaxValue ? [] : [Tagged(health, staleness.TotalSeconds)];
    }
}
