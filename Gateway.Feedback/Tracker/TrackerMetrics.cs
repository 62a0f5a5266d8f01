using System.Diagnostics.Metrics;
using Gateway.Feedback.Http;
using Gateway.State;

namespace Gateway.Feedback.Tracker;

/// <summary>
/// The tracker's instruments (<c>tracker.*</c>): announces and scrapes by protocol and result, and the swarms and
/// peers it tracks. The counters cost one increment per request; the gauges are read from the peer store only
/// when Prometheus scrapes.
/// </summary>
public sealed class TrackerMetrics
{
    public const string MeterName = "Gateway.Tracker";

    private readonly Counter<long> _announces;
    private readonly Counter<long> _scrapes;
    private readonly ISwarmPeerStore _peers;

    public TrackerMetrics(IMeterFactory meters, ISwarmPeerStore peers)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _peers = peers;
        var meter = meters.Create(MeterName);
        _announces = meter.CreateCounter<long>("tracker.announces", "{announce}", "Announces answered, by protocol (http, udp) and result (ok, or why it was refused)");
        _scrapes = meter.CreateCounter<long>("tracker.scrapes", "{scrape}", "Scrapes answered, by protocol and result");
        meter.CreateObservableGauge("tracker.swarms", ObserveSwarms, "{torrent}", "Torrents with at least one live peer");
        meter.CreateObservableGauge("tracker.peers", ObservePeers, "{peer}", "Live peers by role (seeder, leecher) and whether they announced with a volunteer key");
    }

    /// <summary>Counts one announce; <paramref name="failure"/> is the reply's failure reason, or null when it succeeded.</summary>
    public void Announce(string protocol, string? failure) =>
        _announces.Add(1, new KeyValuePair<string, object?>("protocol", protocol), new KeyValuePair<string, object?>("result", Result(failure)));

    /// <summary>Counts one scrape; <paramref name="failure"/> as for <see cref="Announce"/>.</summary>
    public void Scrape(string protocol, string? failure) =>
        _scrapes.Add(1, new KeyValuePair<string, object?>("protocol", protocol), new KeyValuePair<string, object?>("result", Result(failure)));

    /// <summary>A small fixed set of result labels, whatever the failure text: labels must not grow with input.</summary>
    public static string Result(string? failure) => failure switch
    {
        null => "ok",
        SwarmTracker.UnknownTorrent => "unknown_torrent",
        SwarmTracker.UnknownKey => "unknown_key",
        SwarmTracker.KeyRequired => "key_required",
        HttpTrackerFrontend.RateLimited => "rate_limited",
        HttpTrackerFrontend.InternalFailure => "error",
        _ => "malformed",
    };

    private IEnumerable<Measurement<int>> ObserveSwarms()
    {
        if (_peers is ISwarmPeerStatistics statistics)
        {
            yield return new Measurement<int>(statistics.Count().Swarms);
        }
    }

    private IEnumerable<Measurement<int>> ObservePeers()
    {
        if (_peers is not ISwarmPeerStatistics statistics)
        {
            yield break;
        }

        var count = statistics.Count();
        yield return new Measurement<int>(count.KeyedSeeders, Role("seeder"), Keyed(true));
        yield return new Measurement<int>(count.Seeders - count.KeyedSeeders, Role("seeder"), Keyed(false));
        yield return new Measurement<int>(count.KeyedLeechers, Role("leecher"), Keyed(true));
        yield return new Measurement<int>(count.Leechers - count.KeyedLeechers, Role("leecher"), Keyed(false));
    }

    private static KeyValuePair<string, object?> Role(string role) => new("role", role);

    private static KeyValuePair<string, object?> Keyed(bool keyed) => new("keyed", keyed ? "true" : "false");
}
