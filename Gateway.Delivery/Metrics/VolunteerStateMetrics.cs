using System.Diagnostics.Metrics;
using Gateway.State;
using Gateway.State.Memory;
using Gateway.State.Redis;
using Gateway.State.Resilience;
using Gateway.State.Setup;
using Gateway.State.Views;
using Gateway.Delivery.Selection;
using Gateway.Core.Content;
using Gateway.Delivery.Verification;
using Gateway.Delivery.Cluster;
using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;
using Gateway.Core.Telemetry;

namespace Gateway.Delivery.Metrics;

/// <summary>
/// Per-volunteer state as observable gauges, read at scrape time (nothing is recorded per request):
/// availability, health by check, weight, estimated load, transfers in flight and feedback age.
/// </summary>
public sealed class VolunteerStateMetrics
{
    private static readonly string[] States = ["healthy", "unhealthy", "unknown"];
    private readonly VolunteerDirectory _directory;
    private readonly IProxyStateLookup _proxyState;
    private readonly LoadEstimator _estimator;
    private readonly DispatchLedger _ledger;
    private readonly SwarmView _view;
    private readonly TimeProvider _time;
    private readonly QuarantineList _quarantine;

    public VolunteerStateMetrics(
        IMeterFactory meters, VolunteerDirectory directory, IProxyStateLookup proxyState, LoadEstimator estimator, DispatchLedger ledger, SwarmView view, TimeProvider time, QuarantineList quarantine)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _directory = directory;
        _proxyState = proxyState;
        _estimator = estimator;
        _ledger = ledger;
        _view = view;
        _time = time;
        _quarantine = quarantine;
        var meter = meters.Create(GatewayTelemetry.MeterName);
        meter.CreateObservableGauge("gateway.volunteer.available", ObserveAvailable, unit: null, "1 when the volunteer can be chosen: enabled, not quarantined and not marked unhealthy by either health check");
        meter.CreateObservableGauge("gateway.volunteer.quarantined", ObserveQuarantined, unit: null, "1 while the volunteer is quarantined for serving altered bytes (until an operator clears it)");
        meter.CreateObservableGauge("gateway.volunteer.health", ObserveHealth, unit: null, "Health check state per volunteer and check (active probe, passive failures): 1 for the current state");
        meter.CreateObservableGauge("gateway.volunteer.weight", ObserveWeight, unit: null, "Configured weight (relative capacity)");
        meter.CreateObservableGauge("gateway.volunteer.load", ObserveLoad, "{transfer}", "Estimated load: the volunteer's fresh reported load plus what this gateway dispatched since");
        meter.CreateObservableGauge("gateway.volunteer.transfers", ObserveTransfers, "{transfer}", "Transfers this gateway is streaming from the volunteer now (proxy mode)");
        meter.CreateObservableGauge("gateway.volunteer.feedback.age", ObserveFeedbackAge, "s", "Time since the volunteer's last load report reached the store");
    }

    private IEnumerable<Measurement<int>> ObserveAvailable()
    {
        var cluster = VolunteerCluster();
        foreach (var volunteer in _directory.All)
        {
            var destination = Find(cluster, volunteer.Id);
            var up = volunteer.Enabled
                && !_quarantine.Contains(volunteer.Id)
                && destination is not null
                && destination.Health.Active != DestinationHealth.Unhealthy
                && destination.Health.Passive != DestinationHealth.Unhealthy;
            yield return new Measurement<int>(up ? 1 : 0, Volunteer(volunteer.Id));
        }
    }

    private IEnumerable<Measurement<int>> ObserveHealth()
    {
        var cluster = VolunteerCluster();
        foreach (var volunteer in _directory.All)
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
        _directory.All.Select(v => new Measurement<int>(_quarantine.Contains(v.Id) ? 1 : 0, Volunteer(v.Id)));

    private IEnumerable<Measurement<int>> ObserveWeight() =>
        _directory.All.Select(v => new Measurement<int>(v.Weight, Volunteer(v.Id)));

    private IEnumerable<Measurement<double>> ObserveLoad()
    {
        foreach (var volunteer in _directory.All)
        {
            var reported = _estimator.ReportedLoad(volunteer.Id, out var reportedAt);
            yield return new Measurement<double>((reported ?? 0) + _estimator.LocalLoad(volunteer.Id, reportedAt), Volunteer(volunteer.Id));
        }
    }

    private IEnumerable<Measurement<int>> ObserveTransfers() =>
        _directory.All.Select(v => new Measurement<int>(_ledger.InFlight(v.Id), Volunteer(v.Id)));

    private IEnumerable<Measurement<double>> ObserveFeedbackAge()
    {
        var now = _time.GetUtcNow();
        foreach (var volunteer in _directory.All)
        {
            // No series for a volunteer that never reported: "no report" is not "a report 0 s old".
            if (_view.TryGetLoad(volunteer.Id, out var report))
            {
                yield return new Measurement<double>(Math.Max(0, (now - report.ReportedAt).TotalSeconds), Volunteer(volunteer.Id));
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
