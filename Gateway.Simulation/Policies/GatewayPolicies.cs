using System.Diagnostics.Metrics;
using Gateway.Delivery;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Selection;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Gateway.Simulation.Model;
using Gateway.State;
using Gateway.State.Views;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Simulation.Policies;

/// <summary>
/// One run's gateway: the policy under test built from the gateway's own classes (no copies), with the state
/// the gateway would keep — swarm view fed by announces, dispatch ledger, Apache member counters, YARP's
/// in-flight counts — updated the way the gateway's middleware updates them in <see cref="GatewayMode"/>.
/// </summary>
internal sealed class GatewayPolicies : IDisposable
{
    private readonly GatewayMode _mode;
    private readonly HoldingsView _view;
    private readonly DispatchLedger _ledger;
    private readonly BalancerMembers? _members;
    private readonly VolunteerDirectory _directory;
    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly LoadEstimator _estimator;

    // When each proxied request's transfer began (AttemptTicket.BegunAt in the gateway), for the ledger's end of it.
    private readonly Dictionary<int, DateTimeOffset> _begunAt = [];

    public GatewayPolicies(PolicyKind kind, GatewayMode mode, IReadOnlyList<string> ids, TimeProvider time, Random random, Func<string, double> trueLoad)
    {
        _mode = mode;
        _view = new HoldingsView(time);
        _ledger = new DispatchLedger(time);
        var set = new VolunteerSetOptions();
        set.Members.AddRange(ids.Select(id => new VolunteerOptions { Id = id, Url = $"http://{id}.volunteer.invalid/" }));
        var volunteers = new FixedOptions<VolunteerSetOptions>(set);
        _directory = new VolunteerDirectory(volunteers);
        if (kind is PolicyKind.ByRequests or PolicyKind.ByBusyness)
        {
            _members = new BalancerMembers(volunteers, new FixedOptions<BalancerOptions>(new BalancerOptions()), time);
        }

        var selection = new FixedOptions<SelectionOptions>(new SelectionOptions
        {
            Candidates = kind switch { PolicyKind.FeedbackBestOfTwo => 2, PolicyKind.FeedbackBestOfFour => 4, PolicyKind.FeedbackBestOfEight => 8, _ => new SelectionOptions().Candidates },
            DrainReportedTransfers = kind != PolicyKind.FeedbackCounted,
            TieBreakOnBytesLeft = kind != PolicyKind.FeedbackUntied,
        });
        _estimator = new LoadEstimator(_view, _ledger, selection, time);
        Policy = kind switch
        {
            PolicyKind.ByRequests => new ByRequestsPolicy(_members!),
            PolicyKind.ByBusyness => new ByBusynessPolicy(_members!),
            PolicyKind.YarpPowerOfTwo => new PowerOfTwoChoicesPolicy(random),
            PolicyKind.Feedback or PolicyKind.FeedbackBestOfTwo or PolicyKind.FeedbackBestOfFour or PolicyKind.FeedbackBestOfEight or PolicyKind.FeedbackCounted or PolicyKind.FeedbackUntied =>
                new FeedbackPowerOfTwoPolicy(new VolunteerState(_directory, _view, Quarantine(time), Stalls(time), _estimator), new SeededRandomSource(random), selection),
            PolicyKind.Oracle or PolicyKind.SizeOracle or PolicyKind.ByteCounter => new OraclePolicy(trueLoad),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    public ILoadBalancingPolicy Policy { get; }

    /// <summary>The feedback estimator's load for <paramref name="id"/> (reported or NaN when unknown, plus this gateway's own), for diagnostics.</summary>
    public (double Reported, double Local) Estimate(string id)
    {
        var reported = _estimator.ReportedLoad(id, out var at);
        return (reported ?? double.NaN, _estimator.LocalLoad(id, at));
    }

    /// <summary>A volunteer's announce reached the tracker and the gateway's view.</summary>
    public void Announced(string id, LoadReport report) => _view.Apply(new LoadReported(id, report));

    /// <summary>What the gateway records when it sends customer request <paramref name="request"/> to <paramref name="destination"/>.</summary>
    public void Dispatched(DestinationState destination, double bytes, int request)
    {
        var id = destination.DestinationId;
        if (_mode == GatewayMode.Redirect)
        {
            // RedirectMiddleware: the redirect, with its expected transfer time, is all the gateway sees of the transfer.
            _ledger.RecordRedirect(id, _estimator.ExpectedTransfer(id, (long)bytes), (long)bytes);
            return;
        }

        // AttemptLoop's accounting and YARP's forwarder, as in proxy mode.
        _begunAt[request] = _ledger.BeginTransfer(id);
        destination.ConcurrentRequestCount++;
        _members?.Find(id)?.BeginRequest();
    }

    /// <summary>Request <paramref name="request"/>'s transfer ended; only a proxying gateway sees it.</summary>
    public void Finished(DestinationState destination, double bytes, int request)
    {
        if (_mode == GatewayMode.Redirect)
        {
            return;
        }

        var id = destination.DestinationId;
        _begunAt.Remove(request, out var begunAt);
        _ledger.EndTransfer(id, begunAt);
        destination.ConcurrentRequestCount--;
        _members?.Find(id)?.EndRequest(0, (long)bytes);
    }

    public void Dispose()
    {
        _members?.Dispose();
        _directory.Dispose();
        _meters.Dispose();
    }

    // The simulated gateway never quarantines anyone; the policy asks the same volunteer state as the gateway's.
    private QuarantineList Quarantine(TimeProvider time) =>
        new(time, _meters.GetRequiredService<IMeterFactory>(), Options.Create(new VerifyOptions()), NullLogger<QuarantineList>.Instance);

    private StallBench Stalls(TimeProvider time) =>
        new(new FixedOptions<StallOptions>(new StallOptions()), time, _meters.GetRequiredService<IMeterFactory>(), NullLogger<StallBench>.Instance);
}
