using System.Diagnostics.Metrics;
using Gateway.Core.Telemetry;
using Gateway.Delivery.Load;
using Gateway.Delivery.Volunteers;
using Gateway.State.Views;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Availability;

/// <summary>
/// Per-volunteer state as observable gauges, read at scrape time (nothing is recorded per request):
/// availability, health by check, weight, estimated load, transfers in flight and feedback age.
/// </summary>
public sealed class VolunteerStateMetrics
{
    private static readonly string[] States = ["healthy", "unhealthy", "unknown"];
    private readonly VolunteerState _volunteers;
    private readonly IProxyStateLookup _proxyState;
    private readonly DispatchLedger _ledger;
    private readonly HoldingsView _view;
    private readonly InventoryService _inventories;
    private readonly TimeProvider _time;

    public VolunteerStateMetrics(
        IMeterFactory meters, VolunteerState volunteers, IProxyStateLookup proxyState, DispatchLedger ledger, HoldingsView view, InventoryService inventories, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _volunteers = volunteers;
        _proxyState = proxyState;
        _ledger = ledger;
        _view = view;
        _inventories = inventories;
        _time = time;
        var meter = meters.Create(GatewayTelemetry.MeterName);
        meter.CreateObservableGauge("gateway.volunteer.available", ObserveAvailable, unit: null, "1 when the volunteer can be chosen: enabled, not quarantined and not marked unhealthy by either health check");
        meter.CreateObservableGauge("gateway.volunteer.quarantined", ObserveQuarantined, unit: null, "1 while the volunteer is quarantined for serving altered bytes (until an operator clears it)");
        meter.CreateObservableGauge("gateway.volunteer.health", ObserveHealth, unit: null, "Health check state per volunteer and check (active probe, passive failures): 1 for the current state");
        meter.CreateObservableGauge("gateway.volunteer.weight", ObserveWeight, unit: null, "Configured weight (relative capacity)");
        meter.CreateObservableGauge("gateway.volunteer.load", ObserveLoad, "{transfer}", "Estimated load: the volunteer's fresh reported load plus what this gateway dispatched since");
        meter.CreateObservableGauge("gateway.volunteer.transfers", ObserveTransfers, "{transfer}", "Transfers this gateway is streaming from the volunteer now (proxy mode)");
        meter.CreateObservableGauge("gateway.volunteer.feedback.age", ObserveFeedbackAge, "s", "Time since the volunteer's last load report reached the store");
        meter.CreateObservableGauge("gateway.volunteer.holdings", ObserveHoldings, "{file}", "Content ids the volunteer holds in this gateway's view (from its inventory or its announces)");
        meter.CreateObservableGauge("gateway.volunteer.inventory.age", ObserveInventoryAge, "s", "Time since the volunteer's configured inventory was last read; no series without one");
    }

    private IEnumerable<Measurement<int>> ObserveAvailable()
    {
        var cluster = VolunteerCluster();
        foreach (var volunteer in _volunteers.Configured)
        {
            var up = _volunteers.IsAvailable(volunteer.Id, Find(cluster, volunteer.Id));
            yield return new Measurement<int>(up ? 1 : 0, Volunteer(volunteer.Id));
        }
    }

    private IEnumerable<Measurement<int>> ObserveHealth()
    {
        var cluster = VolunteerCluster();
        foreach (var volunteer in _volunteers.Configured)
        {
            var health = Find(cluster, volunteer.Id)?.Health;
            foreach (var (check, state) in new[] { ("active", health?.Active ?? DestinationHealth.Unknown), ("passive", health?.Passive ?? DestinationHealth.Unknown) })
            {
                var current = StateName(state);
                foreach (var name in States)
                {
                    yield return new Measurement<int>(
                        name == current ? 1 : 0,
                        Volunteer(volunteer.Id),
                        new KeyValuePair<string, object?>("check", check),
                        new KeyValuePair<string, object?>("state", name));
                }
            }
        }
    }

    private IEnumerable<Measurement<int>> ObserveQuarantined() =>
        _volunteers.Configured.Select(v => new Measurement<int>(_volunteers.IsQuarantined(v.Id) ? 1 : 0, Volunteer(v.Id)));

    private IEnumerable<Measurement<int>> ObserveWeight() =>
        _volunteers.Configured.Select(v => new Measurement<int>(v.Weight, Volunteer(v.Id)));

    private IEnumerable<Measurement<double>> ObserveLoad() =>
        _volunteers.Configured.Select(v => new Measurement<double>(_volunteers.Load(v.Id), Volunteer(v.Id)));

    private IEnumerable<Measurement<int>> ObserveTransfers() =>
        _volunteers.Configured.Select(v => new Measurement<int>(_ledger.InFlight(v.Id), Volunteer(v.Id)));

    private IEnumerable<Measurement<double>> ObserveFeedbackAge()
    {
        var now = _time.GetUtcNow();
        foreach (var volunteer in _volunteers.Configured)
        {
            // No series for a volunteer that never reported: "no report" is not "a report 0 s old".
            if (_view.TryGetLoad(volunteer.Id, out var report))
            {
                yield return new Measurement<double>(Math.Max(0, (now - report.ReportedAt).TotalSeconds), Volunteer(volunteer.Id));
            }
        }
    }

    private IEnumerable<Measurement<int>> ObserveHoldings() =>
        _volunteers.Configured.Select(v => new Measurement<int>(_view.HoldingsOf(v.Id), Volunteer(v.Id)));

    private IEnumerable<Measurement<double>> ObserveInventoryAge()
    {
        var now = _time.GetUtcNow();
        foreach (var volunteer in _volunteers.Configured)
        {
            if (_inventories.LastRead(volunteer.Id) is { } at)
            {
                yield return new Measurement<double>(Math.Max(0, (now - at).TotalSeconds), Volunteer(volunteer.Id));
            }
        }
    }

    private ClusterState? VolunteerCluster() => _proxyState.TryGetCluster(GatewayClusters.Volunteers, out var cluster) ? cluster : null;

    private static DestinationState? Find(ClusterState? cluster, string id) =>
        cluster is not null && cluster.Destinations.TryGetValue(id, out var destination) ? destination : null;

    private static KeyValuePair<string, object?> Volunteer(string id) => new("volunteer", id);

    private static string StateName(DestinationHealth health) => health switch
    {
        DestinationHealth.Healthy => "healthy",
        DestinationHealth.Unhealthy => "unhealthy",
        _ => "unknown",
    };
}
