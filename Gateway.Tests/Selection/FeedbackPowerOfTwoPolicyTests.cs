using System.Diagnostics.Metrics;
using Gateway.Delivery;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Load;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Selection;
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

public sealed class FeedbackPowerOfTwoPolicyTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly HoldingsView _view;
    private readonly DispatchLedger _ledger;
    private readonly FixedOptionsMonitor<SelectionOptions> _selection = new(new SelectionOptions());
    private readonly VolunteerSetOptions _volunteers = new();
    private readonly ServiceProvider _meters = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public FeedbackPowerOfTwoPolicyTests()
    {
        _view = new HoldingsView(_time);
        _ledger = new DispatchLedger(_time);
    }

    public void Dispose() => _meters.Dispose();

    private FeedbackPowerOfTwoPolicy Policy(int seed = 1)
    {
        var directory = new VolunteerDirectory(new FixedOptionsMonitor<VolunteerSetOptions>(_volunteers));
        var quarantine = new QuarantineList(_time, _meters.GetRequiredService<IMeterFactory>(), Options.Create(new VerifyOptions()), NullLogger<QuarantineList>.Instance);
        var stalls = new StallBench(new FixedOptionsMonitor<StallOptions>(new StallOptions()), _time, _meters.GetRequiredService<IMeterFactory>(), NullLogger<StallBench>.Instance);
        return new FeedbackPowerOfTwoPolicy(new VolunteerState(directory, _view, quarantine, stalls, Estimator()), new SeededRandom(seed), _selection);
    }

    private LoadEstimator Estimator() => new(_view, _ledger, _selection, _time);

    private void Volunteer(string id, int weight = 1) => _volunteers.Members.Add(new VolunteerOptions { Id = id, Url = $"http://{id}.example/", Weight = weight });

    private void Report(string id, int transfers, TimeSpan age, long up = 0, long cap = 0, int peers = 0, long? left = null) =>
        _view.Apply(new LoadReported(id, new LoadReport(transfers, peers, up, 0, cap, _time.GetUtcNow() - age, left)));

    /// <summary>Volunteers v0–v7, v<c>i</c> reporting <paramref name="transfers"/>(i) customer transfers just now.</summary>
    private DestinationState[] EightReporting(Func<int, int> transfers)
    {
        var ids = Enumerable.Range(0, 8).Select(i => $"v{i}").ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            Volunteer(ids[i]);
            Report(ids[i], transfers(i), TimeSpan.Zero);
        }

        return Destinations(ids);
    }

    private static DestinationState[] Destinations(params string[] ids) => [.. ids.Select(id => new DestinationState(id))];

    private static string Pick(FeedbackPowerOfTwoPolicy policy, DestinationState[] destinations) =>
        policy.PickDestination(new DefaultHttpContext(), null!, destinations)!.DestinationId;

    /// <summary>Every holder that won at least one of 40 picks, in order.</summary>
    private static string[] Winners(FeedbackPowerOfTwoPolicy policy, DestinationState[] destinations) =>
        [.. Enumerable.Range(0, 40).Select(_ => Pick(policy, destinations)).Distinct().Order(StringComparer.Ordinal)];

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
        var first = _ledger.BeginTransfer("v2");
        var second = _ledger.BeginTransfer("v2");
        Assert.Equal("v1", Pick(policy, Destinations("v1", "v2"))); // 5/4 > 1/1
        _ledger.EndTransfer("v2", first);
        _ledger.EndTransfer("v2", second);
        Assert.Equal("v2", Pick(policy, Destinations("v1", "v2")));
    }

    [Fact]
    public void Proxied_transfers_the_report_already_counts_are_not_counted_again()
    {
        // Three proxied transfers of ours are in flight when v1 announces x_http=3: they are those three.
        Volunteer("v1");
        for (var i = 0; i < 3; i++)
        {
            _ledger.BeginTransfer("v1");
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        Report("v1", 3, TimeSpan.Zero);
        var estimator = Estimator();
        var reported = estimator.ReportedLoad("v1", out var at);
        Assert.Equal(3.0, reported!.Value + estimator.LocalLoad("v1", at));

        // One begun after the report is load the report cannot know: it counts.
        _time.Advance(TimeSpan.FromSeconds(1));
        _ledger.BeginTransfer("v1");
        Assert.Equal(4.0, reported.Value + estimator.LocalLoad("v1", at));
    }

    [Fact]
    public void Without_a_fresh_report_every_proxied_transfer_in_flight_counts()
    {
        Volunteer("v1");
        _ledger.BeginTransfer("v1");
        _ledger.BeginTransfer("v1");
        Report("v1", 2, TimeSpan.Zero);
        _time.Advance(_selection.CurrentValue.FeedbackMaxAge + TimeSpan.FromSeconds(1));
        var estimator = Estimator();
        Assert.Null(estimator.ReportedLoad("v1", out var at));
        Assert.Equal(2.0, estimator.LocalLoad("v1", at));
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
    public void With_no_more_holders_than_candidates_every_holder_is_compared()
    {
        var destinations = EightReporting(i => i == 5 ? 0 : 6);
        var policy = Policy();
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("v5", Pick(policy, destinations)));
    }

    [Fact]
    public void With_two_candidates_the_idle_holder_is_missed_when_neither_draw_is_it()
    {
        _selection.CurrentValue.Candidates = 2;
        var destinations = EightReporting(i => i == 5 ? 0 : 6);
        var policy = Policy();
        var idle = Enumerable.Range(0, 400).Count(_ => Pick(policy, destinations) == "v5");

        // Two of eight drawn: the idle one is among them in 1 − (7/8)(6/7) = 1/4 of the picks.
        Assert.InRange(idle, 60, 140);
    }

    [Fact]
    public void More_holders_than_candidates_compares_that_many_distinct_ones()
    {
        _selection.CurrentValue.Candidates = 4;
        var destinations = EightReporting(i => i);
        var policy = Policy();
        var picks = Enumerable.Range(0, 400).Select(_ => Pick(policy, destinations)).ToList();

        // The best of 4 distinct out of 8 is never among the 3 most loaded, and is the least loaded half the time.
        Assert.DoesNotContain(picks, p => p is "v5" or "v6" or "v7");
        Assert.InRange(picks.Count(p => p == "v0"), 160, 240);
    }

    [Fact]
    public void By_default_the_one_empty_holder_among_sixty_four_swamped_ones_is_always_found()
    {
        // A release's first minute: nobody has announced since it began, the first holders carry 30 of our redirects
        // each, and one volunteer has just finished fetching the package.
        var destinations = FlashCrowdHolders(64);
        var policy = Policy();
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("h0", Pick(policy, destinations)));
    }

    [Fact]
    public void With_eight_candidates_the_one_empty_holder_among_forty_is_missed_most_of_the_time()
    {
        _selection.CurrentValue.Candidates = 8;
        var destinations = FlashCrowdHolders(40);
        var policy = Policy();
        var found = Enumerable.Range(0, 400).Count(_ => Pick(policy, destinations) == "h0");

        // Eight of forty drawn: the empty one is among them in 1/5 of the picks; the rest add to a swamped one.
        Assert.InRange(found, 50, 110);
    }

    /// <summary>Holders h0…h(n−1) without reports: h0 new and empty, every other with 30 redirects still running.</summary>
    private DestinationState[] FlashCrowdHolders(int count)
    {
        var ids = Enumerable.Range(0, count).Select(i => $"h{i}").ToArray();
        foreach (var id in ids)
        {
            Volunteer(id);
            for (var r = 0; id != "h0" && r < 30; r++)
            {
                _ledger.RecordRedirect(id, TimeSpan.FromSeconds(30));
            }
        }

        return Destinations(ids);
    }

    [Fact]
    public void A_redirect_counts_only_for_its_expected_transfer_time()
    {
        _selection.CurrentValue.AssumedCapacityBytesPerSecond = 1_000_000;
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 0, TimeSpan.Zero);
        Report("v2", 1, TimeSpan.Zero);
        var estimator = Estimator();

        // An idle link of 1 MB/s: 2 MB alone take 2 s.
        var expected = estimator.ExpectedTransfer("v1", 2_000_000);
        Assert.Equal(TimeSpan.FromSeconds(2), expected);
        _ledger.RecordRedirect("v1", expected);
        _ledger.RecordRedirect("v1", estimator.ExpectedTransfer("v1", 2_000_000));
        var policy = Policy();
        Assert.Equal("v2", Pick(policy, Destinations("v1", "v2")));

        // The transfers are over well before the next announce: v1 is idle again for the estimate.
        _time.Advance(TimeSpan.FromSeconds(4.5));
        Assert.Equal("v1", Pick(policy, Destinations("v1", "v2")));
    }

    [Fact]
    public void A_small_files_redirect_counts_at_least_the_shortest_redirect_time()
    {
        _selection.CurrentValue.AssumedCapacityBytesPerSecond = 1_000_000;
        Volunteer("v1");
        var estimator = Estimator();

        // 10 kB alone on 1 MB/s take 10 ms; the customer still has to follow the redirect.
        Assert.Equal(TimeSpan.FromMilliseconds(200), estimator.ExpectedTransfer("v1", 10_000));
        _selection.CurrentValue.ShortestRedirect = TimeSpan.FromMilliseconds(20);
        Assert.Equal(TimeSpan.FromMilliseconds(20), estimator.ExpectedTransfer("v1", 10_000));
        _selection.CurrentValue.ShortestRedirect = TimeSpan.Zero;
        Assert.Equal(TimeSpan.FromMilliseconds(10), estimator.ExpectedTransfer("v1", 10_000));
    }

    [Fact]
    public void Without_a_known_capacity_a_redirect_counts_for_the_dispatch_memory()
    {
        Volunteer("v1");
        Assert.Equal(_selection.CurrentValue.DispatchMemory, Estimator().ExpectedTransfer("v1", 1_000));
    }

    [Theory]

    // 2 customers and 4 sync peers share the link equally, so the peers get 4/6 of it: 4 whole flows, v1 at 6.
    // By rate alone they would be 4 · 0.67 = 2.7 transfers and v1 (4.7) would win over v2 (5).
    [InlineData(2, 4, 666_667, 6.0, 5, "v2")]

    // 3 peers connected but only 27% of the link uploaded: 0.81 of a flow, less than v2's one customer.
    [InlineData(0, 3, 270_000, 0.81, 1, "v1")]

    // Peers connected, nothing uploaded: no sync load.
    [InlineData(1, 4, 0, 1.0, 2, "v1")]
    public void Sync_load_is_the_reported_connections_each_up_to_its_equal_share_of_the_link(int transfers, int peers, long up, double load, int otherTransfers, string picked)
    {
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", transfers, TimeSpan.Zero, up: up, cap: 1_000_000, peers: peers);
        Report("v2", otherTransfers, TimeSpan.Zero, cap: 1_000_000);
        Assert.Equal(load, Estimator().ReportedLoad("v1", out _)!.Value, 3);
        Assert.Equal(picked, Pick(Policy(), Destinations("v1", "v2")));
    }

    // 4 transfers with 4 MB left on a 1 MB/s link, nothing else on it: all of them run until 4 s, none after.
    [Theory]
    [InlineData(0.0, 4_000_000L, 0, 0L, 4.0)]
    [InlineData(1.0, 4_000_000L, 0, 0L, 4.0)]
    [InlineData(3.9, 4_000_000L, 0, 0L, 4.0)]
    [InlineData(4.0, 4_000_000L, 0, 0L, 0.0)]
    [InlineData(9.0, 4_000_000L, 0, 0L, 0.0)]

    // The same with 4 sync connections taking their equal shares (half the link, 500 kB/s): customers drain at half
    // the rate (4/(4+4) of 1 MB/s), so they still run at 7 s and are over at 8 s; the sync flows count whole.
    [InlineData(7.0, 4_000_000L, 4, 500_000L, 4.0 + 4)]
    [InlineData(8.0, 4_000_000L, 4, 500_000L, 0.0 + 4)]

    // A report of a few small transfers: gone well within the announce interval.
    [InlineData(0.5, 60_000L, 0, 0L, 0.0)]

    // Without the bytes left (an agent that does not report them), the count as reported, however old.
    [InlineData(9.0, null, 0, 0L, 4.0)]

    // Nothing left to send (HEADs, or all in the customers' hands): no customer load, from the moment of the report.
    [InlineData(0.1, 0L, 0, 0L, 0.0)]
    [InlineData(0.0, 0L, 0, 0L, 0.0)]
    public void Reported_transfers_count_until_their_bytes_left_could_have_drained_at_the_customers_share_of_the_link(double age, long? left, int peers, long up, double expected)
    {
        Volunteer("v1");
        Report("v1", 4, TimeSpan.FromSeconds(age), up: up, cap: 1_000_000, peers: peers, left: left);
        Assert.Equal(expected, Estimator().ReportedLoad("v1", out _)!.Value, 3);
    }

    [Fact]
    public void With_draining_off_or_no_capacity_known_reported_transfers_count_until_the_next_report()
    {
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 4, TimeSpan.FromSeconds(5), cap: 1_000_000, left: 100_000);
        Report("v2", 4, TimeSpan.FromSeconds(5), left: 100_000);
        Assert.Equal(0.0, Estimator().ReportedLoad("v1", out _)!.Value, 3);
        Assert.Equal(4.0, Estimator().ReportedLoad("v2", out _)!.Value, 3);

        _selection.CurrentValue.DrainReportedTransfers = false;
        Assert.Equal(4.0, Estimator().ReportedLoad("v1", out _)!.Value, 3);
    }

    [Fact]
    public void A_holder_whose_reported_small_transfers_must_be_over_wins_over_one_busy_with_a_large_file()
    {
        // Both reported 3 transfers 1.5 s ago; v1's were 300 kB in all, v2's a 12 MB file: v1 is idle by now.
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 3, TimeSpan.FromSeconds(1.5), cap: 1_250_000, left: 300_000);
        Report("v2", 3, TimeSpan.FromSeconds(1.5), cap: 1_250_000, left: 12_000_000);
        var policy = Policy();
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("v1", Pick(policy, Destinations("v1", "v2"))));
    }

    [Fact]
    public void Of_equally_loaded_holders_the_one_with_fewer_bytes_left_wins_and_with_the_tie_break_off_the_draw_decides()
    {
        // Both report one transfer just now: v1's has 10 MB left (a large file just begun), v2's 100 kB.
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 1, TimeSpan.Zero, cap: 1_250_000, left: 10_000_000);
        Report("v2", 1, TimeSpan.Zero, cap: 1_250_000, left: 100_000);
        var policy = Policy();
        var destinations = Destinations("v1", "v2");
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("v2", Pick(policy, destinations)));

        // Off: ties go to the first candidate drawn, from a random start, so both win sometimes.
        _selection.CurrentValue.TieBreakOnBytesLeft = false;
        Assert.Equal(["v1", "v2"], Winners(policy, destinations));
    }

    [Fact]
    public void Bytes_left_break_a_tie_only_a_lower_load_wins_regardless()
    {
        // v1 has one transfer with few bytes left, v2 none: the load decides, not the bytes.
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 1, TimeSpan.Zero, cap: 1_250_000, left: 1_000);
        Report("v2", 0, TimeSpan.Zero, cap: 1_250_000, left: 0);
        _ledger.RecordRedirect("v2", TimeSpan.FromSeconds(30), 50_000_000);
        Assert.Equal(1.0, Estimator().LocalLoad("v2", _time.GetUtcNow()));
        var policy = Policy();

        // Equal loads (1 and 1) now: v1's 1 kB left beat v2's 50 MB redirect.
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("v1", Pick(policy, Destinations("v1", "v2"))));

        // A second redirect to v1 makes its load 2: v2 wins although its bytes left are many more.
        _ledger.RecordRedirect("v1", TimeSpan.FromSeconds(30), 1_000);
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal("v2", Pick(policy, Destinations("v1", "v2"))));
    }

    [Fact]
    public void A_holder_without_a_fresh_report_does_not_win_a_tie_by_reporting_no_bytes()
    {
        // v1 reports one transfer with 10 MB left; v2's report is stale, so it is judged as loaded as v1 (1) and
        // has no bytes left known: the tie is not broken for it, the draw decides and both win sometimes.
        Volunteer("v1");
        Volunteer("v2");
        Report("v1", 1, TimeSpan.Zero, cap: 1_250_000, left: 10_000_000);
        Report("v2", 0, TimeSpan.FromMinutes(5), cap: 1_250_000, left: 0);
        Assert.Equal(["v1", "v2"], Winners(Policy(), Destinations("v1", "v2")));
    }

    [Theory]

    // 4 MB left reported 1 s ago on a 1 MB/s link with no sync: 3 MB left now; 5 s later nothing.
    [InlineData(1.0, 4_000_000L, 0, 0L, 3_000_000.0)]
    [InlineData(5.0, 4_000_000L, 0, 0L, 0.0)]

    // 4 sync connections at their equal shares: the customers drain at half the link, 0.5 MB/s.
    [InlineData(2.0, 4_000_000L, 4, 500_000L, 3_000_000.0)]

    // No bytes reported: nothing known of the report's transfers.
    [InlineData(1.0, null, 0, 0L, 0.0)]
    public void Bytes_left_are_the_reported_bytes_less_what_the_customers_share_of_the_link_sent_since(double age, long? left, int peers, long up, double expected)
    {
        Volunteer("v1");
        Report("v1", 4, TimeSpan.FromSeconds(age), up: up, cap: 1_000_000, peers: peers, left: left);
        var estimator = Estimator();
        estimator.ReportedLoad("v1", out var at);
        Assert.Equal(expected, estimator.BytesLeft("v1", at), 0);
    }

    [Fact]
    public void Bytes_left_add_this_gateways_redirects_since_the_report_each_draining_over_its_expected_transfer()
    {
        Volunteer("v1");
        Report("v1", 0, TimeSpan.Zero, cap: 1_000_000, left: 0);
        var estimator = Estimator();
        estimator.ReportedLoad("v1", out var at);
        _ledger.RecordRedirect("v1", TimeSpan.FromSeconds(4), 4_000_000);
        _ledger.RecordRedirect("v1", TimeSpan.FromSeconds(1), 100_000);
        Assert.Equal(4_100_000.0, estimator.BytesLeft("v1", at), 0);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3_000_000.0, estimator.BytesLeft("v1", at), 0);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(0.0, estimator.BytesLeft("v1", at), 0);
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
