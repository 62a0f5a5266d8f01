using System.Diagnostics;
using Gateway.Simulation.Policies;
using Gateway.State;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Model;

/// <summary>
/// Discrete-event simulation of customers, volunteers and the gateway: Poisson arrivals are dispatched by
/// the gateway's policy among the online holders (the origin when there are none), each volunteer's upload
/// is shared equally by its customer transfers and its sync flows, and every volunteer announces its load
/// once per announce interval. Single-threaded and driven by <see cref="SimulationClock"/>: same seed, same run.
/// </summary>
internal sealed class Simulator
{
    private readonly Scenario _scenario;
    private readonly Workload _workload;
    private readonly PolicyKind _kind;
    private readonly SimulationClock _clock = new();
    private readonly PriorityQueue<Event, (double Time, long Sequence)> _events = new();
    private readonly SharedLink[] _links;
    private readonly DestinationState[] _destinations;
    private readonly Dictionary<string, int> _indexOf = new(StringComparer.Ordinal);
    private readonly bool[] _online;
    private readonly bool[] _holdsHot;
    private readonly double[] _onlineSince;
    private readonly double[] _onlineSeconds;
    private readonly int[] _served;
    private readonly double[] _finish;
    private readonly int[] _servedBy;
    private readonly double[] _lastAnnounce;
    private readonly DefaultHttpContext _context = new();
    private readonly List<DestinationState> _all = [];
    private readonly List<DestinationState> _hot = [];
    private readonly List<DestinationState> _fileHolders = [];
    private bool _candidatesStale = true;
    private double _picking;
    private long _sequence;
    private int _retries;

    public Simulator(Scenario scenario, PolicyKind kind, Workload? workload = null)
    {
        _scenario = scenario;
        _kind = kind;
        _workload = workload ?? Workload.For(scenario);
        var n = scenario.Volunteers;
        _links = new SharedLink[n + 1];
        _destinations = new DestinationState[n];
        for (var v = 0; v < n; v++)
        {
            var id = $"v{v:D5}";
            _destinations[v] = new DestinationState(id);
            _indexOf[id] = v;
            _links[v] = new SharedLink(scenario.CapacityBytesPerSecond)
            {
                Horizon = _workload.ArrivalWindow,
                SyncDemand = scenario.SyncDemand?[v] ?? double.PositiveInfinity,
            };
        }

        _links[n] = new SharedLink(scenario.OriginCapacityBytesPerSecond) { Horizon = _workload.ArrivalWindow };
        _online = new bool[n];
        _holdsHot = new bool[n];
        _onlineSince = new double[n];
        _onlineSeconds = new double[n];
        _served = new int[n];
        _finish = new double[_workload.Requests.Count];
        _servedBy = new int[_workload.Requests.Count];
        _lastAnnounce = new double[n];
    }

    /// <summary>When set, every pick is recorded against the model's true flows (diagnostics; costs O(candidates) per pick).</summary>
    public PickRecords? Records { get; init; }

    public Workload Workload => _workload;

    private int Origin => _scenario.Volunteers;

    public RunResult Run()
    {
        var stopwatch = Stopwatch.StartNew();
        var ids = _destinations.Select(d => d.DestinationId).ToArray();
        using var gateway = new GatewayPolicies(_kind, _scenario.Mode, ids, _clock, new Random(_scenario.Seed + 4), TrueLoad);
        for (var v = 0; v < _scenario.Volunteers; v++)
        {
            Join(gateway, v, 0);
            Schedule(_workload.AnnouncePhase[v], EventKind.Announce, v);
            Schedule(_workload.HotAt[v], EventKind.HotReady, v);
            foreach (var presence in _workload.Presence[v])
            {
                Schedule(presence.Time, presence.Join ? EventKind.Join : EventKind.Leave, v);
            }
        }

        for (var i = 0; i < _workload.Requests.Count; i++)
        {
            Schedule(_workload.Requests[i].Time, EventKind.Arrival, i);
        }

        var pending = _workload.Requests.Count;
        while (pending > 0 && _events.TryDequeue(out var e, out var at))
        {
            _clock.MoveTo(at.Time);
            switch (e.Kind)
            {
                case EventKind.Arrival:
                    Dispatch(gateway, e.Target);
                    break;
                case EventKind.Completion when e.Version == _links[e.Target].Version:
                    pending -= Complete(gateway, e.Target);
                    break;
                case EventKind.Announce:
                    Announce(gateway, e.Target);
                    Schedule(at.Time + _scenario.AnnounceIntervalSeconds, EventKind.Announce, e.Target);
                    break;
                case EventKind.HotReady:
                    _holdsHot[e.Target] = true;
                    _candidatesStale = true;
                    break;
                case EventKind.Join:
                    Join(gateway, e.Target, at.Time);
                    break;
                case EventKind.Leave:
                    Leave(gateway, e.Target, at.Time);
                    break;
            }
        }

        return Result(stopwatch.Elapsed);
    }

    private double TrueLoad(string id)
    {
        if (_kind == PolicyKind.SizeOracle)
        {
            return _links[_indexOf[id]].PredictedCompletion(_picking);
        }

        // Seconds per byte for one more customer: with sync flows that always want their shares, (flows + 1) / capacity.
        var link = _links[_indexOf[id]];
        return double.IsPositiveInfinity(link.SyncDemand) ? (link.CustomerFlows + link.SyncFlows + 1) / link.Capacity : 1 / link.RateForOneMore();
    }

    private void Dispatch(GatewayPolicies gateway, int request)
    {
        var now = _clock.Seconds;
        var candidates = Candidates(_workload.Requests[request]);
        _picking = _workload.Requests[request].Bytes;
        var chosen = candidates.Count == 0 ? null : gateway.Policy.PickDestination(_context, null!, candidates);
        var target = chosen is null ? Origin : _indexOf[chosen.DestinationId];
        if (chosen is not null)
        {
            gateway.Dispatched(chosen, _workload.Requests[request].Bytes, request);
        }

        _servedBy[request] = target;
        if (Records is not null && chosen is not null)
        {
            Record(gateway, request, target, candidates, now);
        }

        _links[target].Start(now, request, _workload.Requests[request].Bytes);
        Reschedule(target);
    }

    private void Record(GatewayPolicies gateway, int request, int target, List<DestinationState> candidates, double now)
    {
        var fewest = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var link = _links[_indexOf[candidate.DestinationId]];
            fewest = Math.Min(fewest, link.CustomerFlows + link.SyncFlows);
        }

        var chosen = _links[target];
        var holderSince = Math.Max(_onlineSince[target], _workload.Requests[request].Hot ? _workload.HotAt[target] : 0);
        var (reported, local) = gateway.Estimate(_destinations[target].DestinationId);
        Records!.Picked(request, chosen.CustomerFlows + chosen.SyncFlows, fewest, candidates.Count, now - _lastAnnounce[target], now - holderSince, reported, local);
    }

    private int Complete(GatewayPolicies gateway, int target)
    {
        var now = _clock.Seconds;
        var done = _links[target].Complete(now);
        foreach (var request in done)
        {
            _finish[request] = now;
            if (target != Origin)
            {
                _served[target]++;
                gateway.Finished(_destinations[target], _workload.Requests[request].Bytes, request);
            }
        }

        Reschedule(target);
        return done.Count;
    }

    private void Announce(GatewayPolicies gateway, int v)
    {
        if (!_online[v])
        {
            return;
        }

        var link = _links[v];
        link.Advance(_clock.Seconds);
        _lastAnnounce[v] = _clock.Seconds;
        gateway.Announced(_destinations[v].DestinationId, new LoadReport(
            link.CustomerFlows, link.SyncFlows, (long)link.SyncRate, 0, (long)link.Capacity, _clock.GetUtcNow(), (long)Math.Ceiling(link.CustomerBytesLeft)));
    }

    private void Join(GatewayPolicies gateway, int v, double now)
    {
        _online[v] = true;
        _onlineSince[v] = now;
        _links[v].SetSyncFlows(now, _workload.Syncing[v] ? _scenario.SyncFlowsPerVolunteer : 0);
        _candidatesStale = true;
        Reschedule(v);
        if (now > 0)
        {
            // A volunteer announces as it starts; later announces follow its own interval.
            Announce(gateway, v);
        }
    }

    /// <summary>The volunteer goes away: its customers' transfers break and they ask the gateway again.</summary>
    private void Leave(GatewayPolicies gateway, int v, double now)
    {
        _online[v] = false;
        _onlineSeconds[v] += Math.Max(0, Math.Min(now, _workload.ArrivalWindow) - Math.Min(_onlineSince[v], _workload.ArrivalWindow));
        _candidatesStale = true;
        _links[v].SetSyncFlows(now, 0);
        foreach (var request in _links[v].AbortAll(now))
        {
            gateway.Finished(_destinations[v], 0, request);
            _retries++;
            Dispatch(gateway, request);
        }
    }

    private List<DestinationState> Candidates(Request request)
    {
        if (request.File >= 0 && _workload.Mirrors is { } catalog)
        {
            // Partial holdings: the online holders of this file (a fresh filter per request; holders lists are short
            // for all but the most popular files).
            _fileHolders.Clear();
            foreach (var v in catalog.Holders[request.File])
            {
                if (_online[v])
                {
                    _fileHolders.Add(_destinations[v]);
                }
            }

            return _fileHolders;
        }

        var hot = request.Hot;
        if (_candidatesStale)
        {
            _all.Clear();
            _hot.Clear();
            for (var v = 0; v < _destinations.Length; v++)
            {
                if (_online[v])
                {
                    _all.Add(_destinations[v]);
                    if (_holdsHot[v])
                    {
                        _hot.Add(_destinations[v]);
                    }
                }
            }

            _candidatesStale = false;
        }

        return hot ? _hot : _all;
    }

    private void Reschedule(int target)
    {
        if (_links[target].NextCompletion() is { } at)
        {
            Schedule(at, EventKind.Completion, target, _links[target].Version);
        }
    }

    private void Schedule(double time, EventKind kind, int target, long version = 0) =>
        _events.Enqueue(new Event(kind, target, version), (time, _sequence++));

    private RunResult Result(TimeSpan elapsed)
    {
        var window = _workload.ArrivalWindow;
        var volunteers = new VolunteerUse[_scenario.Volunteers];
        for (var v = 0; v < volunteers.Length; v++)
        {
            var online = _onlineSeconds[v] + (_online[v] ? Math.Max(0, window - Math.Min(_onlineSince[v], window)) : 0);
            _links[v].Advance(_clock.Seconds);
            volunteers[v] = new VolunteerUse(_destinations[v].DestinationId, _workload.Syncing[v], _links[v].Capacity,
                _links[v].CustomerBytes, _links[v].SyncBytes, online, _served[v]);
        }

        var response = new double[_finish.Length];
        for (var i = 0; i < response.Length; i++)
        {
            response[i] = _finish[i] - _workload.Requests[i].Time;
        }

        var volunteerBytes = _links.Take(_scenario.Volunteers).Sum(l => l.AllCustomerBytes);
        return new RunResult(_scenario, _kind, response, _servedBy, volunteers, volunteerBytes, _links[Origin].AllCustomerBytes, _retries, elapsed);
    }

    private enum EventKind
    {
        Arrival,
        Completion,
        Announce,
        HotReady,
        Join,
        Leave,
    }

    private readonly record struct Event(EventKind Kind, int Target, long Version);
}
