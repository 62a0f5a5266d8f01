using Gateway.Simulation.Real;

namespace Gateway.Tests.Simulation;

/// <summary>The real byte-counter policy's BitTorrent share in customer flows, from byte rates alone (capacity 1.25 MB/s = 10 Mbit/s).</summary>
public sealed class LinkShareEstimatorTests
{
    private const double Capacity = 1_250_000;

    [Theory]
    // With customers on it, sync counts as the flows its rate would be at their per-flow rate: 2 customers get
    // 500 kB/s together, 250 kB/s each; sync's 1 MB/s is four of them.
    [InlineData(2, 1_000_000, 500_000, 4.0)]
    // Without customers, as the flows that would leave a newcomer what sync leaves free: sync takes 250 kB/s, a
    // newcomer gets the other 1 MB/s, its share of 1.25 equal flows, so sync is 0.25 of one; half the link is one.
    [InlineData(0, 250_000, 0, 0.25)]
    [InlineData(0, 625_000, 0, 1.0)]
    // No sync traffic, no extra flows.
    [InlineData(0, 0, 0, 0.0)]
    [InlineData(3, 0, 900_000, 0.0)]
    // Sync that fills the link is the most flows, and never more.
    [InlineData(0, 1_250_000, 0, LinkShareEstimator.MaxFlows)]
    [InlineData(0, 2_500_000, 0, LinkShareEstimator.MaxFlows)]
    // 1 customer at 20 kB/s (a measured rate: above 1.25 MB/s / 65) against 1.3 MB/s of sync is 65 flows, clamped;
    // against 1.2 MB/s, 60.
    [InlineData(1, 1_300_000, 20_000, LinkShareEstimator.MaxFlows)]
    [InlineData(1, 1_200_000, 20_000, 60.0)]
    // A customer that has barely started is given what sync leaves free, not its rising rate: 10 kB/s is below one
    // flow among 65 (19.2 kB/s), so its share is 1.25 MB/s - 1 MB/s = 250 kB/s and sync is 4 flows.
    [InlineData(1, 1_000_000, 10_000, 4.0)]
    [InlineData(1, 625_000, 0, 1.0)]
    public void Sync_counts_as_the_hand_computed_customer_flows(int customers, double syncRate, double customerRate, double flows)
    {
        Assert.Equal(flows, LinkShareEstimator.SyncFlows(customers, syncRate, customerRate, Capacity), precision: 9);
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
