using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Customers downloading one path through gateways, a fixed number at a time, alternating between the gateways, until
/// stopped or a cap is reached (so a fault test stays bounded). A redirect or a 200 is a success (what the origin served
/// is counted by the origin's meter, not here); any other status or a refused connection is a failure.
/// </summary>
public sealed class CustomerLoad : IDisposable
{
    private readonly Task _workers;
    private readonly TokenBucketRateLimiter? _pace;
    private int _issued;
    private int _done;
    private int _stopAt = int.MaxValue;

    private CustomerLoad(IReadOnlyList<GatewayUnderTest> gateways, string path, int concurrency, int cap, int perSecond)
    {
        _pace = perSecond <= 0 ? null : new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, perSecond / 100),
            TokensPerPeriod = Math.Max(1, perSecond / 100),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(10),
            QueueLimit = concurrency,
            AutoReplenishment = true,
        });
        _workers = Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(RunAsync)));

        async Task RunAsync()
        {
            for (var i = Interlocked.Increment(ref _issued); i <= cap && i <= Volatile.Read(ref _stopAt); i = Interlocked.Increment(ref _issued))
            {
                if (_pace is not null)
                {
                    using var lease = await _pace.AcquireAsync(1);
                }

                var gateway = gateways[i % gateways.Count];
                try
                {
                    using var response = await gateway.Client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                    if (response.StatusCode is not (HttpStatusCode.Found or HttpStatusCode.OK))
                    {
                        Failures.Enqueue($"{(int)response.StatusCode} from {gateway.Url}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    Failures.Enqueue(ex.Message);
                }

                Interlocked.Increment(ref _done);
            }
        }
    }

    /// <summary>Requests answered so far.</summary>
    public int Done => Volatile.Read(ref _done);

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Starts <paramref name="concurrency"/> customers on <paramref name="path"/>, at most <paramref name="cap"/> requests in all,
    /// at most <paramref name="perSecond"/> a second (0: as fast as the <paramref name="gateways"/> answer).</summary>
    public static CustomerLoad Start(IReadOnlyList<GatewayUnderTest> gateways, string path, int concurrency = 8, int cap = 20_000, int perSecond = 0) =>
        new(gateways, path, concurrency, cap, perSecond);

    /// <summary>Waits until <paramref name="requests"/> more requests than now have been answered, and at least <paramref name="atLeast"/> has passed.</summary>
    public Task MoreAsync(int requests, TimeSpan atLeast = default)
    {
        var target = Done + requests;
        var until = DateTime.UtcNow + atLeast;
        return Eventually.HoldsAsync(() => Done >= target && DateTime.UtcNow >= until, TimeSpan.FromSeconds(60) + atLeast, Describe);
    }

    /// <summary>Lets the requests in flight finish and issues no more.</summary>
    public async Task StopAsync()
    {
        Volatile.Write(ref _stopAt, Volatile.Read(ref _issued));
        await _workers.WaitAsync(TimeSpan.FromSeconds(120));
    }

    public void Dispose() => _pace?.Dispose();

    public string Describe() => $"{Done} requests done, {Failures.Count} failed: {string.Join("; ", Failures.Take(5))}";
}
