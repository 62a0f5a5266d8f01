namespace Gateway.Simulation.Real;

/// <summary>
/// One volunteer link's BitTorrent share, in customer-flow equivalents, from byte counters only: what the link sent
/// (the kernel's counter) and what the customers received from it (the load generator's count). The difference is the
/// synchronization traffic. Both rates are smoothed (EWMA, <see cref="TimeConstant"/>) before they are subtracted:
/// the customers read their bytes a queue later than the link sent them (tc's bucket and the sockets' buffers), so
/// over one 100 ms sample the difference swings both ways even on a link that carries no BitTorrent at all.
/// Pure arithmetic; the byte-counter policy's sampler feeds it.
/// </summary>
internal sealed class LinkShareEstimator(double capacityBytesPerSecond)
{
    /// <summary>Smoothing of the rates: a few 100 ms samples, longer than the queue's lag, shorter than a transfer.</summary>
    public static readonly TimeSpan TimeConstant = TimeSpan.FromMilliseconds(500);

    /// <summary>The most flows BitTorrent can count as (a saturated link, or a ratio over a customer rate near zero).</summary>
    public const double MaxFlows = 64;

    private bool _primed;

    /// <summary>Smoothed bytes/s the link sent (customers, BitTorrent, overhead).</summary>
    public double LinkRate { get; private set; }

    /// <summary>Smoothed bytes/s the customers received from this volunteer.</summary>
    public double CustomerRate { get; private set; }

    /// <summary>Smoothed bytes/s of everything that was not customer bodies (BitTorrent, plus TCP/HTTP overhead), never negative.</summary>
    public double SyncRate => Math.Max(0, LinkRate - CustomerRate);

    /// <summary>Takes one sample: bytes the link sent and bytes customers received over the last <paramref name="seconds"/>.</summary>
    public void Observe(long linkBytes, long customerBytes, double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        var link = Math.Max(0, linkBytes) / seconds;
        var customers = Math.Max(0, customerBytes) / seconds;
        if (!_primed)
        {
            (LinkRate, CustomerRate, _primed) = (link, customers, true);
            return;
        }

        var alpha = 1 - Math.Exp(-seconds / TimeConstant.TotalSeconds);
        LinkRate += alpha * (link - LinkRate);
        CustomerRate += alpha * (customers - CustomerRate);
    }

    /// <summary>BitTorrent's share of the link as customer flows, with <paramref name="customerTransfers"/> customers on it now.</summary>
    public double SyncFlows(int customerTransfers) => SyncFlows(customerTransfers, SyncRate, CustomerRate, capacityBytesPerSecond);

    /// <summary>
    /// k such that the link behaves as if it carried k more customer flows. With n ≥ 1 customers getting
    /// <paramref name="customerRate"/> together, one flow gets customerRate / n, so the sync traffic is
    /// n · syncRate / customerRate of them. With none, a new customer would get what sync leaves, capacity − syncRate,
    /// which is its share of k + 1 equal flows when k = syncRate / (capacity − syncRate). A customer rate below what one
    /// flow gets among <see cref="MaxFlows"/> + 1 is no rate yet (the transfer has just started and the smoothed rate is
    /// still rising), so then the customers' share is taken as capacity − syncRate too. At most <see cref="MaxFlows"/>.
    /// </summary>
    public static double SyncFlows(int customerTransfers, double syncRate, double customerRate, double capacityBytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(customerTransfers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytesPerSecond);
        if (!(syncRate > 0))
        {
            return 0;
        }

        var flows = Math.Max(1, customerTransfers);
        var measured = customerTransfers >= 1 && customerRate / customerTransfers >= capacityBytesPerSecond / (MaxFlows + 1);
        var customerShare = measured ? customerRate : capacityBytesPerSecond - syncRate;
        return customerShare <= 0 ? MaxFlows : Math.Min(MaxFlows, flows * syncRate / customerShare);
    }
}
