using CsCheck;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;

using static Gateway.Tests.Selection.ApacheBalancerHarness;

namespace Gateway.Tests.Selection;

public sealed class ApachePolicyTests
{
    private const string ByRequests = ByRequestsPolicy.PolicyName;

    [Fact]
    public void Byrequests_follows_apaches_lbstatus_arithmetic_for_uneven_factors()
    {
        // a b c d with factors 1 1 1 2: d has the largest credit first, ties go to the earliest member.
        using var h = new ApacheBalancerHarness([Member("a"), Member("b"), Member("c"), Member("d", 2)]);
        Assert.Equal("d a b c d d a b c d", string.Join(' ', h.Picks(ByRequests, 10)));
    }

    [Fact]
    public void Byrequests_schedules_the_rest_evenly_when_a_member_is_disabled()
    {
        // The example of mod_lbmethod_byrequests.c: 25 25 25 25 with b disabled gives a c d a c d ...
        using var h = new ApacheBalancerHarness([Member("a", 25), Member("b", 25, status: "+D"), Member("c", 25), Member("d", 25)]);
        Assert.Equal("a c d a c d", string.Join(' ', h.Picks(ByRequests, 6)));
    }

    [Fact]
    public void Byrequests_shares_equal_the_load_factors_exactly_in_every_cycle()
    {
        Gen.Int[1, 100].Array[1, 8].Sample(factors =>
        {
            using var h = new ApacheBalancerHarness(factors.Select((f, i) => Member($"m{i}", f)));
            var cycle = factors.Sum();
            for (var round = 0; round < 3; round++)
            {
                var picks = h.Picks(ByRequests, cycle);
                for (var i = 0; i < factors.Length; i++)
                {
                    Assert.Equal(factors[i], picks.Count(p => p == $"m{i}"));
                }
            }
        }, iter: 200);
    }

    [Fact]
    public void Byrequests_honours_decimal_load_factors_as_apache_2_4_does()
    {
        using var h = new ApacheBalancerHarness([Member("a", 1.5), Member("b", 1)]);
        var picks = h.Picks(ByRequests, 5);
        Assert.Equal(3, picks.Count(p => p == "a"));
        Assert.Equal(2, picks.Count(p => p == "b"));
    }

    [Fact]
    public void A_higher_lbset_serves_only_when_no_member_of_a_lower_set_is_usable()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b"), Member("c", lbSet: 1)]);
        Assert.DoesNotContain("c", h.Picks(ByRequests, 10));
        h.Members.MarkInError("a");
        h.Members.MarkInError("b");
        Assert.Equal(["c", "c"], h.Picks(ByRequests, 2));
    }

    [Fact]
    public void Hot_standby_serves_only_when_nothing_else_in_its_set_is_usable()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b"), Member("s", status: "+H")]);
        Assert.DoesNotContain("s", h.Picks(ByRequests, 10));
        h.Members.MarkInError("a");
        Assert.Equal(["b", "b"], h.Picks(ByRequests, 2));
        h.Members.MarkInError("b");
        Assert.Equal(["s", "s"], h.Picks(ByRequests, 2));
    }

    [Fact]
    public void Hot_standby_of_the_lower_set_comes_before_the_next_set()
    {
        using var h = new ApacheBalancerHarness([Member("a", status: "+D"), Member("s", status: "+H"), Member("c", lbSet: 1)]);
        Assert.Equal(["s", "s"], h.Picks(ByRequests, 2));
    }

    [Fact]
    public void Hot_spares_replace_unusable_members_one_for_one()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b"), Member("r1", status: "+R"), Member("r2", status: "+R")]);
        Assert.DoesNotContain(h.Picks(ByRequests, 10), p => p.StartsWith('r'));
        h.Members.MarkInError("a");
        var picks = h.Picks(ByRequests, 10);
        Assert.Equal(["b", "r1"], picks.Distinct().Order());
    }

    [Fact]
    public void A_draining_member_takes_no_requests_and_its_spare_steps_in()
    {
        using var h = new ApacheBalancerHarness([Member("a", status: "+N"), Member("b"), Member("r", status: "+R")]);
        Assert.Equal(["b", "r"], h.Picks(ByRequests, 10).Distinct().Order());
    }

    [Fact]
    public void A_member_that_cannot_serve_this_request_is_replaced_by_a_spare()
    {
        // Holders-only narrowed the candidates to b and r: a does not hold the file.
        using var h = new ApacheBalancerHarness([Member("a"), Member("b"), Member("r", status: "+R")]);
        var picks = h.Picks(ByRequests, 10, "b", "r");
        Assert.Equal(["b", "r"], picks.Distinct().Order());
    }

    [Fact]
    public void Policies_pick_only_among_the_available_destinations()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b", 5), Member("c")]);
        foreach (var policy in new[] { ByRequests, ByTrafficPolicy.PolicyName, ByBusynessPolicy.PolicyName })
        {
            Assert.All(h.Picks(policy, 20, "a", "c"), p => Assert.True(p is "a" or "c", $"{policy} picked {p}"));
        }
    }

    [Fact]
    public void A_member_in_error_returns_only_after_its_retry_interval()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b")]);
        h.Volunteers.CurrentValue.Members[0].Retry = TimeSpan.FromSeconds(5);
        h.Volunteers.Set(h.Volunteers.CurrentValue);
        h.Members.MarkInError("a");
        Assert.Equal(["b", "b"], h.Picks(ByRequests, 2));
        h.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["b"], h.Picks(ByRequests, 1));
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Contains("a", h.Picks(ByRequests, 2));
    }

    [Fact]
    public void Ignore_errors_keeps_a_member_in_service_and_stopped_never_returns_by_itself()
    {
        using var h = new ApacheBalancerHarness([Member("i", status: "+I"), Member("s", status: "S")]);
        h.Members.MarkInError("i");
        h.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(["i", "i"], h.Picks(ByRequests, 2));
    }

    [Fact]
    public void Forcerecovery_puts_every_member_back_when_all_are_in_error()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b")]);
        h.Members.MarkInError("a");
        h.Members.MarkInError("b");
        Assert.Equal(["a", "b"], h.Picks(ByRequests, 2));

        h.Balancer.Set(new BalancerOptions { ForceRecovery = false });
        h.Members.MarkInError("a");
        h.Members.MarkInError("b");
        Assert.Equal(["-"], h.Picks(ByRequests, 1));
    }

    [Fact]
    public void Bybusyness_prefers_the_member_with_fewest_requests_in_flight_and_breaks_ties_like_byrequests()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b"), Member("c", 2)]);
        using var reference = new ApacheBalancerHarness([Member("a"), Member("b"), Member("c", 2)]);
        Assert.Equal(reference.Picks(ByRequests, 8), h.Picks(ByBusynessPolicy.PolicyName, 8));
        h.Members.Find("c")!.BeginRequest();
        h.Members.Find("a")!.BeginRequest();
        Assert.Equal(["b", "b"], h.Picks(ByBusynessPolicy.PolicyName, 2));
    }

    [Fact]
    public void Bytraffic_prefers_the_least_traffic_per_load_factor()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b", 4)]);
        Bytes(h, "a", 1000);
        Bytes(h, "b", 3000);
        Assert.Equal(["b"], h.Picks(ByTrafficPolicy.PolicyName, 1));
        Bytes(h, "b", 2000);
        Assert.Equal(["a"], h.Picks(ByTrafficPolicy.PolicyName, 1));
    }

    [Fact]
    public void Heartbeat_picks_in_proportion_to_ready_slots_and_ignores_stale_heartbeats()
    {
        using var h = new ApacheBalancerHarness([Member("a"), Member("b"), Member("c")]);
        h.Board.Record("a", ready: 10, busy: 1);
        h.Board.Record("b", ready: 30, busy: 1);
        h.Board.Record("c", ready: 40, busy: 0);  // just started: counts a quarter, 10
        // Apache draws in [0, 50]; a boundary goes to the later member, so the last one has 11 draws.
        foreach (var draw in new[] { 0, 9, 10, 39, 40, 49, 50 })
        {
            h.Random.Next.Enqueue(draw);
        }

        Assert.Equal(["a", "a", "b", "b", "c", "c", "c"], h.Picks(HeartbeatPolicy.PolicyName, 7));

        h.Time.Advance(TimeSpan.FromSeconds(9));
        h.Board.Record("b", ready: 5, busy: 1);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Random.Next.Enqueue(4);
        Assert.Equal(["b"], h.Picks(HeartbeatPolicy.PolicyName, 1));
        h.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(["-"], h.Picks(HeartbeatPolicy.PolicyName, 1));
    }

    [Fact]
    public void Heartbeat_falls_back_to_tracker_feedback_when_feedback_slots_are_set()
    {
        using var h = new ApacheBalancerHarness([Member("a", 2), Member("b"), Member("c")], new BalancerOptions { FeedbackSlots = 10 });
        var loads = new Dictionary<string, Gateway.State.LoadReport>
        {
            ["a"] = new(ActiveTransfers: 5, Peers: 0, 0, 0, 0, h.Time.GetUtcNow()),
            ["b"] = new(ActiveTransfers: 2, Peers: 0, 0, 0, 0, h.Time.GetUtcNow() - TimeSpan.FromMinutes(5)),
        };
        h.Swarm.Reset(new Gateway.State.HoldingsSnapshot(
            System.Collections.Frozen.FrozenDictionary<string, System.Collections.Frozen.FrozenSet<string>>.Empty,
            System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(loads, StringComparer.Ordinal)));
        h.Board.Record("c", ready: 5, busy: 1);

        // a: 10 slots × factor 2 − 5 busy = 15 ready; b: feedback too old; c: its own heartbeat, 5 ready.
        foreach (var draw in new[] { 0, 14, 15, 19 })
        {
            h.Random.Next.Enqueue(draw);
        }

        Assert.Equal(["a", "a", "c", "c"], h.Picks(HeartbeatPolicy.PolicyName, 4));
    }

    [Theory]
    [InlineData("+H", MemberStatus.HotStandby)]
    [InlineData("D", MemberStatus.Disabled)]
    [InlineData("+h-d+N", MemberStatus.HotStandby | MemberStatus.Drain)]
    [InlineData("+R+I", MemberStatus.HotSpare | MemberStatus.IgnoreErrors)]
    public void Status_strings_set_and_clear_flags_as_apache_reads_them(string text, MemberStatus expected)
    {
        Assert.True(MemberStatusFlags.TryApply(text, MemberStatus.None, out var status, out var error), error);
        Assert.Equal(expected, status);
        Assert.True(MemberStatusFlags.TryApply(MemberStatusFlags.Format(status), MemberStatus.None, out var again, out _));
        Assert.Equal(status, again);
    }

    [Fact]
    public void An_unknown_status_letter_is_refused_with_the_letter_named()
    {
        Assert.False(MemberStatusFlags.TryApply("+X", MemberStatus.None, out _, out var error));
        Assert.Contains("'X'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Heartbeat_bodies_in_apaches_format_parse_and_others_are_refused()
    {
        Assert.True(HeartbeatBoard.TryReadBody("v=1&ready=75&busy=0", out var ready, out var busy, out _));
        Assert.Equal((75, 0), (ready, busy));
        Assert.False(HeartbeatBoard.TryReadBody("ready=75&busy=0", out _, out _, out var error));
        Assert.Contains("v=1", error, StringComparison.Ordinal);
        Assert.False(HeartbeatBoard.TryReadBody("v=1&ready=-3", out _, out _, out _));
    }

    private static void Bytes(ApacheBalancerHarness h, string id, long received)
    {
        var member = h.Members.Find(id)!;
        member.BeginRequest();
        member.EndRequest(0, received);
    }
}
