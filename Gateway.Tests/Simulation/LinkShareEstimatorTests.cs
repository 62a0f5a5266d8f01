using Gateway.Simulation.Real;

namespace Gateway.Tests.Simulation;

/// <summary>The real oracle's BitTorrent share in customer flows, from byte rates alone (capacity 1.25 MB/s = 10 Mbit/s).</summary>
public sealed class LinkShareEstimatorTests
{
    private const double Capacity = 1_250_000;

    [Fact]
    public void With_customers_on_the_link_sync_counts_as_the_flows_its_rate_would_be_at_their_per_flow_rate()
    {
        // 2 customers get 500 kB/s together, 250 kB/s each; sync's 1 MB/s is four of them.
        Assert.Equal(4.0, LinkShareEstimator.SyncFlows(2, syncRate: 1_000_000, customerRate: 500_000, Capacity), precision: 9);
    }

    [Fact]
    public void Without_customers_sync_counts_as_the_flows_that_would_leave_a_new_customer_what_it_leaves_free()
    {
        // Sync takes 250 kB/s, a newcomer gets the other 1 MB/s: its share of 1.25 equal flows, so sync is 0.25 of one.
        Assert.Equal(0.25, LinkShareEstimator.SyncFlows(0, syncRate: 250_000, customerRate: 0, Capacity), precision: 9);

        // Half the link: one flow's worth.
        Assert.Equal(1.0, LinkShareEstimator.SyncFlows(0, syncRate: 625_000, customerRate: 0, Capacity), precision: 9);
    }

    [Fact]
    public void A_link_without_sync_traffic_carries_no_extra_flows()
    {
        Assert.Equal(0.0, LinkShareEstimator.SyncFlows(0, syncRate: 0, customerRate: 0, Capacity));
        Assert.Equal(0.0, LinkShareEstimator.SyncFlows(3, syncRate: 0, customerRate: 900_000, Capacity));
    }

    [Fact]
    public void Sync_that_fills_the_link_counts_as_the_most_flows_and_never_more()
    {
        Assert.Equal(LinkShareEstimator.MaxFlows, LinkShareEstimator.SyncFlows(0, syncRate: Capacity, customerRate: 0, Capacity));
        Assert.Equal(LinkShareEstimator.MaxFlows, LinkShareEstimator.SyncFlows(0, syncRate: 2 * Capacity, customerRate: 0, Capacity));

        // 1 customer at 20 kB/s (a measured rate: above 1.25 MB/s / 65) against 1.3 MB/s of sync is 65 flows: clamped.
        Assert.Equal(LinkShareEstimator.MaxFlows, LinkShareEstimator.SyncFlows(1, syncRate: 1_300_000, customerRate: 20_000, Capacity));

        // ... and against 1.2 MB/s, 60.
        Assert.Equal(60.0, LinkShareEstimator.SyncFlows(1, syncRate: 1_200_000, customerRate: 20_000, Capacity), precision: 9);
    }

    [Fact]
    public void A_customer_that_has_barely_started_is_given_what_sync_leaves_free_not_its_rising_rate()
    {
        // 10 kB/s is below one flow among 65 (19.2 kB/s): the share is taken as 1.25 MB/s - 1 MB/s = 250 kB/s, so 4 flows.
        Assert.Equal(4.0, LinkShareEstimator.SyncFlows(1, syncRate: 1_000_000, customerRate: 10_000, Capacity), precision: 9);
        Assert.Equal(1.0, LinkShareEstimator.SyncFlows(1, syncRate: 625_000, customerRate: 0, Capacity), precision: 9);
    }

    [Fact]
    public void Rates_are_smoothed_before_the_customers_bytes_are_taken_from_the_links()
    {
        var link = new LinkShareEstimator(Capacity);

        // The first sample is taken as it is: 100 kB in 0.1 s on the link, 60 kB of it customers'.
        link.Observe(linkBytes: 100_000, customerBytes: 60_000, seconds: 0.1);
        Assert.Equal(1_000_000, link.LinkRate, precision: 6);
        Assert.Equal(600_000, link.CustomerRate, precision: 6);
        Assert.Equal(400_000, link.SyncRate, precision: 6);

        // Then the customers read 100 kB that the link had sent before (their lag): alpha = 1 - e^(-0.1/0.5) = 0.181269,
        // link 1 MB/s * (1 - alpha) = 818,730.8, customers 600 k + alpha * 400 k = 672,507.7: sync 146,223.1, not negative.
        link.Observe(linkBytes: 0, customerBytes: 100_000, seconds: 0.1);
        Assert.Equal(818_730.753, link.LinkRate, precision: 3);
        Assert.Equal(672_507.699, link.CustomerRate, precision: 3);
        Assert.Equal(146_223.054, link.SyncRate, precision: 3);

        // With one customer on it (per-flow 672.5 kB/s), sync is 146,223.1 / 672,507.7 = 0.2174 flows.
        Assert.Equal(0.2174, link.SyncFlows(1), precision: 4);
    }

    [Fact]
    public void Customers_reading_more_than_the_link_sent_leave_no_negative_sync()
    {
        var link = new LinkShareEstimator(Capacity);

        link.Observe(linkBytes: 10_000, customerBytes: 50_000, seconds: 0.1);

        Assert.Equal(0.0, link.SyncRate);
        Assert.Equal(0.0, link.SyncFlows(0));
    }
}
