using System.Diagnostics.Metrics;
using Gateway.Agent.Mirror;
using Gateway.Agent.Serving;

namespace Gateway.Agent.Status;

/// <summary>
/// The volunteer agent's instruments (<c>volunteer.*</c>), observed from its state at scrape time so the hot
/// paths (file serving, the announce relay) pay nothing for them. A volunteer's operator scrapes them at the
/// agent's <c>/metrics</c>; config/grafana/volunteer-dashboard.json shows them.
/// </summary>
public sealed class AgentMetrics
{
    public const string MeterName = "Gateway.Agent";

    private static readonly TorrentPhase[] Phases = Enum.GetValues<TorrentPhase>();

    private readonly MirrorState _state;
    private readonly CustomerTransfers _transfers;
    private readonly Counter<long> _originBytes;
    private readonly Counter<long> _deferred;

    public AgentMetrics(IMeterFactory meters, MirrorState state, CustomerTransfers transfers)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _state = state;
        _transfers = transfers;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("volunteer.healthy", () => _state.Healthy && !_state.Draining ? 1 : 0, unit: null, "1 while the agent takes customers: engine up and not draining");
        meter.CreateObservableGauge("volunteer.draining", () => _state.Draining ? 1 : 0, unit: null, "1 once a drain began: in-flight transfers finish, new customers are refused");
        meter.CreateObservableGauge("volunteer.engine.running", () => _state.EngineRunning ? 1 : 0, unit: null, "1 while the BitTorrent engine answers its RPC");
        meter.CreateObservableCounter("volunteer.engine.restarts", () => (long)_state.EngineRestarts, "{restart}", "Times the agent restarted its BitTorrent engine");
        meter.CreateObservableGauge("volunteer.sync.rate", ObserveSyncRate, "By/s", "BitTorrent transfer rate of the engine, by direction (synchronization traffic)");
        meter.CreateObservableGauge("volunteer.sync.peers", () => _state.Engine.Connections, "{peer}", "BitTorrent peers the engine is connected to");
        meter.CreateObservableGauge("volunteer.torrents", ObserveTorrents, "{torrent}", "Mirrored torrents by phase: fetching, verifying, verified (served), failed (a file did not match the catalog)");
        meter.CreateObservableGauge("volunteer.served.contents", () => _state.Served.Count, "{file}", "Distinct verified contents the agent serves to customers");
        meter.CreateObservableGauge("volunteer.customer.transfers", () => _transfers.Active, "{transfer}", "Customer HTTP transfers in flight (what the agent reports as x_http)");
        meter.CreateObservableCounter("volunteer.customer.requests", ObserveCustomerRequests, "{request}", "Customer requests answered, by outcome: served, or refused (draining or unhealthy)");
        _originBytes = meter.CreateCounter<long>("volunteer.webseed.origin", "By", "Bytes the web-seed relay fetched from the origin for the engine, by reason: slice (this agent's share), alone, no slice, stalled");
        _deferred = meter.CreateCounter<long>("volunteer.webseed.deferred", "{request}", "Web-seed ranges the relay deferred to their owner (the engine takes them from peers)");
        meter.CreateObservableGauge("volunteer.webseed.origin.gone", ObserveOriginGone, "{torrent}", "Torrents whose origin no longer serves their web seed (404, or 5 failures in a row): fetched from peers until a probe finds it again");
    }

    /// <summary>The relay fetched <paramref name="bytes"/> from the origin.</summary>
    public void OriginFetched(long bytes, string reason) => _originBytes.Add(bytes, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The relay deferred a range.</summary>
    public void Deferred() => _deferred.Add(1);

    private int ObserveOriginGone()
    {
        var gone = 0;
        foreach (var torrent in _state.Torrents())
        {
            gone += torrent.WebSeed?.Origin.GoneAt is null ? 0 : 1;
        }

        return gone;
    }

    private IEnumerable<Measurement<long>> ObserveSyncRate()
    {
        var engine = _state.Engine;
        yield return new Measurement<long>(engine.DownloadBytesPerSecond, new KeyValuePair<string, object?>("direction", "download"));
        yield return new Measurement<long>(engine.UploadBytesPerSecond, new KeyValuePair<string, object?>("direction", "upload"));
    }

    private IEnumerable<Measurement<int>> ObserveTorrents()
    {
        var torrents = _state.Torrents();
        foreach (var phase in Phases)
        {
            var count = 0;
            foreach (var torrent in torrents)
            {
                count += torrent.Phase == phase ? 1 : 0;
            }

            yield return new Measurement<int>(count, new KeyValuePair<string, object?>("phase", phase.ToString().ToLowerInvariant()));
        }
    }

    private IEnumerable<Measurement<long>> ObserveCustomerRequests()
    {
        yield return new Measurement<long>(_transfers.Served, new KeyValuePair<string, object?>("outcome", "served"));
        yield return new Measurement<long>(_transfers.Refused, new KeyValuePair<string, object?>("outcome", "refused"));
    }
}
