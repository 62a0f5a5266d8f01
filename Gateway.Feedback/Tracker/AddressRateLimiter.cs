using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Tracker;

/// <summary>Per source address token buckets (<c>Tracker:RateLimitPerSecond</c>, <c>Tracker:RateLimitBurst</c>), shared by the HTTP and UDP frontends.</summary>
public sealed class AddressRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress>? _limiter;

    public AddressRateLimiter(IOptions<TrackerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        if (settings.RateLimitPerSecond > 0)
        {
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.RateLimitBurst,
                TokensPerPeriod = settings.RateLimitPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => bucket));
        }
    }

    /// <summary>False when the limit is off (every request may go ahead).</summary>
    public bool IsEnabled => _limiter is not null;

    /// <summary>True when <paramref name="address"/> may make one more request now.</summary>
    public bool TryAcquire(IPAddress address)
    {
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter?.Dispose();
}
