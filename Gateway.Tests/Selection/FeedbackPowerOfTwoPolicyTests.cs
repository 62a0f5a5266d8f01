using Gateway.Feedback.Store;
using Gateway.Selection;
using Gateway.Tests.Infrastructure;
using Gateway.Volunteers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Selection;

public sealed class FeedbackPowerOfTwoPolicyTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly SwarmView _view;
    private readonly DispatchLedger _ledger;
    private readonly FixedOptionsMonitor<SelectionOptions> _selection = new(new SelectionOptions());
    private readonly VolunteerSetOptions _volunteers = new();

    public FeedbackPowerOfTwoPolicyTests()
    {
        _view = new SwarmView(_time);
        _ledger = new DispatchLedger(_time);
    }

    private FeedbackPowerOfTwoPolicy Policy(int seed = 1)
    {
        var directory = new VolunteerDirectory(new FixedOptionsMonitor<VolunteerSetOptions>(_volunteers));
        return new FeedbackPowerOfTwoPolicy(new LoadEstimator(_view, _ledger, _selection, _time), directory, new SeededRandom(seed));
    }

    private void Volunteer(string id, int weight = 1) => _volunteers.Members.Add(new VolunteerOptions { Id = id, Url = $"http://{id}.example/", Weight = weight });

    private void Report(string id, int transfers, TimeSpan age, long up = 0, long cap = 0) =>
        _view.Apply(new LoadReported(id, new LoadReport(transfers, 0, up, 0, cap, _time.GetUtcNow() - age)));

    private static DestinationState[] Destinations(params string[] ids) => [.. ids.Select(id => new DestinationState(id))];

    private static string Pick(FeedbackPowerOfTwoPolicy policy, DestinationState[] destinations) =>
        policy.PickDestination(new DefaultHttpContext(), null!, destinations)!.DestinationId;

    [Fact]
    public void Picks_the_holder_with_less_fresh_reported_load()
    {
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 10, TimeSpan.FromSeconds(5));
        Report("v2", 0, TimeSpan.FromSeconds(5));
        var policy = Policy();
        var destinations = Destinations("v1", "v2");
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("v2", Pick(policy, destinations)));
    }

    [Fact]
    public void A_stale_report_is_unknown_not_zero()
    {
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 0, TimeSpan.FromMinutes(5));
        Report("v2", 5, TimeSpan.FromSeconds(1));
        _ledger.RecordRedirect("v1");

        // Read as zero, v1's stale report would win (0 + 1 < 5). Unknown, it counts as v2's 5, so our own redirect decides.
        var policy = Policy();
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("v2", Pick(policy, Destinations("v1", "v2"))));
    }

    [Fact]
    public void Redirects_since_the_last_report_count_until_the_next_report()
    {
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 0, TimeSpan.Zero);
        Report("v2", 0, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(2));
        _ledger.RecordRedirect("v1");
        _ledger.RecordRedirect("v1");
        var policy = Policy();
        Assert.Equal("v2", Pick(policy, Destinations("v1", "v2")));

        // v1's next announce reports the load as of now (its transfers ended): our earlier redirects are in it.
        _time.Advance(TimeSpan.FromSeconds(2));
        Report("v1", 0, TimeSpan.Zero);
        Report("v2", 1, TimeSpan.Zero);
        Assert.Equal("v1", Pick(policy, Destinations("v1", "v2")));
    }

    [Fact]
    public void Without_reports_redirects_are_remembered_only_for_the_dispatch_memory()
    {
        Volunteer("v1");
        Volunteer("v2");
        _ledger.RecordRedirect("v1");
        var policy = Policy();
        Assert.Equal("v2", Pick(policy, Destinations("v1", "v2")));
        _time.Advance(_selection.CurrentValue.DispatchMemory + TimeSpan.FromSeconds(2));
        _ledger.RecordRedirect("v2");
        Assert.Equal("v1", Pick(policy, Destinations("v1", "v2")));
    }

    [Fact]
    public void Load_is_divided_by_weight_and_transfers_in_flight_count()
    {
        Volunteer("v1", weight: 1);
        Volunteer("v2", weight: 4);
        for (var i = 0; i < 3; i++)
        {
            _ledger.RecordRedirect("v2");
        }

        _ledger.RecordRedirect("v1");
        var policy = Policy();
        Assert.Equal("v2", Pick(policy, Destinations("v1", "v2"))); // 3/4 < 1/1
        _ledger.BeginTransfer("v2");
        _ledger.BeginTransfer("v2");
        Assert.Equal("v1", Pick(policy, Destinations("v1", "v2"))); // 5/4 > 1/1
        _ledger.EndTransfer("v2");
        _ledger.EndTransfer("v2");
        Assert.Equal("v2", Pick(policy, Destinations("v1", "v2")));
    }

    [Fact]
    public void A_saturated_sync_link_counts_as_load()
    {
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 0, TimeSpan.Zero, up: 1_000_000, cap: 1_000_000);
        Report("v2", 2, TimeSpan.Zero, up: 0, cap: 1_000_000);
        var policy = Policy();
        Assert.Equal("v2", Pick(policy, Destinations("v1", "v2"))); // v1: full link = 4 transfers by default
    }

    [Fact]
    public void Shares_follow_the_weights_when_every_choice_is_a_redirect()
    {
        Volunteer("v1", 1);
        Volunteer("v2", 2);
        Volunteer("v3", 5);
        var policy = Policy(seed: 7);
        var destinations = Destinations("v1", "v2", "v3");
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 8000; i++)
        {
            var id = Pick(policy, destinations);
            _ledger.RecordRedirect(id);
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        Assert.InRange(counts["v1"], 950, 1050);
        Assert.InRange(counts["v2"], 1950, 2050);
        Assert.InRange(counts["v3"], 4950, 5050);
    }

    [Fact]
    public void One_candidate_is_chosen_without_randomness_and_none_gives_null()
    {
        Volunteer("v1");
        var policy = Policy();
        Assert.Equal("v1", Pick(policy, Destinations("v1")));
        Assert.Null(policy.PickDestination(new DefaultHttpContext(), null!, []));
    }

    private sealed class SeededRandom(int seed) : IRandomSource
    {
        private readonly Random _random = new(seed);

        public int NextIndex(int maxExclusive) => _random.Next(maxExclusive);
    }
}
