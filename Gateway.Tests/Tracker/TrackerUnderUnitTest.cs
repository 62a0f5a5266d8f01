using Gateway.Core.Torrents;
using Gateway.Feedback.Http;
using Gateway.Feedback.Tracker;
using Gateway.Feedback.Udp;
using Gateway.State.Memory;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

using InMemorySwarmPeerStore = Gateway.State.Memory.InMemorySwarmPeerStore;

namespace Gateway.Tests.Tracker;

/// <summary>The tracker's logic and frontends over in-memory stores and a fake clock, with one published torrent and one keyed volunteer.</summary>
public sealed class TrackerUnderUnitTest : IDisposable
{
    public const string Key = "key-of-v1-0123456789";

    public static readonly InfoHash Torrent = InfoHash.Parse("0123456789abcdef0123456789abcdef01234567");

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public TrackerUnderUnitTest(TrackerOptions? settings = null)
    {
        Options = settings ?? new TrackerOptions { RateLimitPerSecond = 0 };
        var monitor = new FixedOptionsMonitor<TrackerOptions>(Options);
        Peers = new InMemorySwarmPeerStore(Time);
        Holdings = new HoldingsRecorder(Swarms);
        Limiter = new AddressRateLimiter(Microsoft.Extensions.Options.Options.Create(Options));
        Tracker = new SwarmTracker(Peers, new Directory(), new Keys(), Holdings, new SyncRateEstimator(), monitor, Time, NullLogger<SwarmTracker>.Instance);
        ConnectionIds = new UdpConnectionIds(new byte[32], Time);
        Metrics = new TrackerMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), Peers);
        Udp = new UdpTrackerProtocol(Tracker, ConnectionIds, Limiter, Metrics, monitor);
        Http = new HttpTrackerFrontend(Tracker, Limiter, Metrics, monitor, NullLogger<HttpTrackerFrontend>.Instance);
    }

    public TrackerOptions Options { get; }

    /// <summary>The tracker's instruments, on a meter factory of this test's own.</summary>
    public TrackerMetrics Metrics { get; }

    public System.Diagnostics.Metrics.IMeterFactory MeterFactory => _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    public InMemorySwarmPeerStore Peers { get; }

    public InMemoryHoldingsStore Swarms { get; } = new();

    public HoldingsRecorder Holdings { get; }

    public AddressRateLimiter Limiter { get; }

    public SwarmTracker Tracker { get; }

    public UdpConnectionIds ConnectionIds { get; }

    public UdpTrackerProtocol Udp { get; }

    public HttpTrackerFrontend Http { get; }

    public static IReadOnlyCollection<string> Contents { get; } = ["content-a", "content-b"];

    public void Dispose()
    {
        Holdings.Dispose();
        Limiter.Dispose();
        _services.Dispose();
    }

    private sealed class Directory : ITorrentDirectory
    {
        public bool TryGetContents(InfoHash infoHash, out IReadOnlyCollection<string> contentIds)
        {
            contentIds = infoHash == Torrent ? Contents : [];
            return infoHash == Torrent;
        }
    }

    private sealed class Keys : IVolunteerKeys
    {
        public bool TryResolve(ReadOnlySpan<char> key, out KeyedVolunteer? volunteer)
        {
            volunteer = key.SequenceEqual(Key) ? new KeyedVolunteer("v1", new Uri("http://127.0.0.1:1/")) : null;
            return volunteer is not null;
        }
    }
}
