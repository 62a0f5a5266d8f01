using System.Diagnostics.Metrics;
using Gateway.Delivery;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Gateway.State;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Selection;

/// <summary>Each rule of the one usable-holder test, and the load it reports, over the real sources.</summary>
public sealed class VolunteerStateTests : IDisposable
{
    private const string Content = "c1";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly VolunteerSetOptions _volunteers = new();
    private readonly HoldingsView _swarm;
    private readonly DispatchLedger _ledger;
    private readonly QuarantineList _quarantine;

    public VolunteerStateTests()
    {
        _swarm = new HoldingsView(_time);
        _ledger = new DispatchLedger(_time);
        _quarantine = new QuarantineList(_time, _services.GetRequiredService<IMeterFactory>(), Options.Create(new VerifyOptions()), NullLogger<QuarantineList>.Instance);
        Stalls = new StallBench(new FixedOptionsMonitor<StallOptions>(new StallOptions()), _time, _services.GetRequiredService<IMeterFactory>(), NullLogger<StallBench>.Instance);
    }

    private StallBench Stalls { get; }

    public void Dispose() => _services.Dispose();

    [Fact]
    public void A_healthy_enabled_holder_may_take_the_request()
    {
        var state = State(Volunteer("v1"));
        Holds("v1");

        Assert.True(state.MayTake(new DestinationState("v1"), Content));
        Assert.True(state.IsAvailable("v1", new DestinationState("v1")));
    }

    [Fact]
    public void A_disabled_volunteer_may_not()
    {
        var state = State(Volunteer("v1", enabled: false));
        Holds("v1");

        Assert.False(state.MayTake(new DestinationState("v1"), Content));
        Assert.False(state.IsAvailable("v1", new DestinationState("v1")));
    }

    [Fact]
    public void A_volunteer_not_configured_may_not()
    {
        var state = State(Volunteer("v1"));
        Holds("v1", "stranger");

        Assert.False(state.MayTake(new DestinationState("stranger"), Content));
        Assert.Equal(1, state.WeightOf("stranger"));
    }

    [Fact]
    public void A_quarantined_volunteer_may_not_until_cleared()
    {
        var state = State(Volunteer("v1"));
        Holds("v1");
        _quarantine.Add("v1", "chunk 0 SHA-256 mismatch", "gateway");

        Assert.False(state.MayTake(new DestinationState("v1"), Content));
        Assert.True(state.IsQuarantined("v1"));
        Assert.False(state.IsAvailable("v1", new DestinationState("v1")));

        _quarantine.Clear("v1");
        Assert.True(state.MayTake(new DestinationState("v1"), Content));
    }

    [Fact]
    public void A_volunteer_benched_for_stalling_may_not_until_its_bench_ends_and_its_stalls_count_as_load()
    {
        var state = State(Volunteer("v1"));
        Holds("v1");
        Stalls.Record("v1", "silent for 15 s");
        Assert.True(state.MayTake(new DestinationState("v1"), Content));
        Assert.Equal(1.0, state.Load("v1"));

        Stalls.Record("v1", "silent for 15 s");
        Assert.False(state.MayTake(new DestinationState("v1"), Content));
        Assert.False(state.IsAvailable("v1", new DestinationState("v1")));

        _time.Advance(new StallOptions().BenchFor);
        Assert.True(state.MayTake(new DestinationState("v1"), Content));
    }

    [Fact]
    public void A_volunteer_that_does_not_hold_the_content_may_not()
    {
        var state = State(Volunteer("v1"), Volunteer("v2"));
        Holds("v2");

        Assert.False(state.MayTake(new DestinationState("v1"), Content));
        Assert.False(state.MayTake(new DestinationState("v2"), "other"));
        Assert.True(state.IsAvailable("v1", new DestinationState("v1")));
    }

    [Theory]
    [InlineData(DestinationHealth.Unhealthy, DestinationHealth.Healthy)]
    [InlineData(DestinationHealth.Healthy, DestinationHealth.Unhealthy)]
    [InlineData(DestinationHealth.Unknown, DestinationHealth.Unhealthy)]
    public void An_unhealthy_volunteer_may_not(DestinationHealth active, DestinationHealth passive)
    {
        var state = State(Volunteer("v1"));
        Holds("v1");
        var destination = new DestinationState("v1");
        destination.Health.Active = active;
        destination.Health.Passive = passive;

        Assert.False(state.MayTake(destination, Content));
        Assert.False(state.IsAvailable("v1", destination));
        Assert.False(state.IsAvailable("v1", null));
    }

    [Fact]
    public void Unknown_health_counts_as_healthy_as_in_yarps_healthy_and_unknown_policy()
    {
        var state = State(Volunteer("v1"));
        Holds("v1");
        var destination = new DestinationState("v1");
        destination.Health.Active = DestinationHealth.Unknown;
        destination.Health.Passive = DestinationHealth.Unknown;

        Assert.True(state.MayTake(destination, Content));
    }

    [Fact]
    public void Usable_holders_keep_the_list_when_all_are_usable_narrow_it_in_order_and_are_empty_when_none_is()
    {
        var state = State(Volunteer("v1"), Volunteer("v2"), Volunteer("v3", enabled: false), Volunteer("v4"));
        var all = Destinations("v1", "v2", "v3", "v4");

        Assert.Empty(state.UsableHolders(Content, all));

        Holds("v1", "v2", "v4");
        var full = Destinations("v1", "v2", "v4");
        Assert.Same(full, state.UsableHolders(Content, full));

        _quarantine.Add("v2", "altered", "report");
        Assert.Equal(["v1", "v4"], state.UsableHolders(Content, all).Select(d => d.DestinationId));
    }

    [Theory]
    [InlineData("+N")]
    [InlineData("+S")]
    [InlineData("+D")]
    public void Apache_status_flags_are_left_to_the_apache_pick_rules_which_never_elect_such_a_member(string status)
    {
        // The holder test does not read Apache's flags (a draining member still takes its sticky requests, and the
        // feedback policy never read them); the lbmethods apply them to the candidates it yields.
        var v1 = Member("v1", status);
        var state = State(v1, Member("v2"));
        Holds("v1", "v2");
        var candidates = state.UsableHolders(Content, Destinations("v1", "v2"));
        Assert.Equal(["v1", "v2"], candidates.Select(d => d.DestinationId));

        using var members = new BalancerMembers(new FixedOptionsMonitor<VolunteerSetOptions>(_volunteers), new FixedOptionsMonitor<BalancerOptions>(new BalancerOptions()), _time);
        var policy = new ByRequestsPolicy(members);
        var picks = Enumerable.Range(0, 4).Select(_ => policy.PickDestination(new DefaultHttpContext(), null!, candidates)?.DestinationId);
        Assert.All(picks, p => Assert.Equal("v2", p));
    }

    [Fact]
    public void Load_is_the_fresh_report_plus_this_gateways_own_dispatches_per_the_estimator()
    {
        var state = State(Volunteer("v1", weight: 3), Volunteer("v2"));
        _swarm.Apply(new LoadReported("v1", new LoadReport(2, 0, 0, 0, 0, _time.GetUtcNow())));
        _ledger.RecordRedirect("v1");
        _ledger.BeginTransfer("v2");

        Assert.Equal(3.0, state.Load("v1"));
        Assert.Equal(2.0, state.ReportedLoad("v1", out _));
        Assert.Equal(1.0, state.Load("v2"));
        Assert.Null(state.ReportedLoad("v2", out _));
        Assert.Equal(3, state.WeightOf("v1"));
    }

    private VolunteerState State(params VolunteerOptions[] volunteers)
    {
        _volunteers.Members.AddRange(volunteers);
        var selection = new FixedOptionsMonitor<SelectionOptions>(new SelectionOptions());
        return new VolunteerState(
            new VolunteerDirectory(new FixedOptionsMonitor<VolunteerSetOptions>(_volunteers)),
            _swarm,
            _quarantine,
            Stalls,
            new LoadEstimator(_swarm, _ledger, selection, _time));
    }

    private void Holds(params string[] ids)
    {
        foreach (var id in ids)
        {
            _swarm.Apply(new HoldingsChanged(id, [Content], []));
        }
    }

    private static VolunteerOptions Volunteer(string id, bool enabled = true, int weight = 1) =>
        new() { Id = id, Url = $"http://{id}.example/", Enabled = enabled, Weight = weight };

    private static VolunteerOptions Member(string id, string? status = null) =>
        new() { Id = id, Url = $"http://{id}.example/", Status = status };

    private static DestinationState[] Destinations(params string[] ids) => [.. ids.Select(id => new DestinationState(id))];
}
