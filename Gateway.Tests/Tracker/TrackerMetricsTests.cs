using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Gateway.Feedback.Http;
using Gateway.Feedback.Tracker;
using Gateway.Feedback.Udp;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tracker;

public sealed class TrackerMetricsTests : IDisposable
{
    private readonly TrackerUnderUnitTest _t = new();

    [Fact]
    public async Task Announces_are_counted_by_protocol_and_result_and_live_peers_by_role_and_key()
    {
        var counts = new ConcurrentDictionary<string, long>();
        var peers = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TrackerMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, _t.MeterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(x => x.Key, x => x.Value);
            counts.AddOrUpdate($"{instrument.Name} {t["protocol"]} {t["result"]}", value, (_, old) => old + value);
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(x => x.Key, x => x.Value);
            peers[instrument.Name == "tracker.peers" ? $"{t["role"]} keyed={t["keyed"]}" : instrument.Name] = value;
        });
        listener.Start();

        var hash = TrackerTestBed.PercentEncode(TrackerUnderUnitTest.Torrent.ToArray());
        var unknown = TrackerTestBed.PercentEncode(new byte[20]);
        const string Rest = "&peer_id=-XX0001-012345678901&port=6881&uploaded=0&downloaded=0&compact=1";
        await AnnounceParsingTests.HandleHttpAsync($"/announce?info_hash={hash}{Rest}&left=5", IPAddress.Loopback, _t.Http);
        await AnnounceParsingTests.HandleHttpAsync($"/announce/{TrackerUnderUnitTest.Key}?info_hash={hash}&peer_id=-XX0001-abcdefabcdef&port=6882&uploaded=0&downloaded=0&compact=1&left=0", IPAddress.Loopback, _t.Http);
        await AnnounceParsingTests.HandleHttpAsync($"/announce?info_hash={unknown}{Rest}&left=5", IPAddress.Loopback, _t.Http);
        await AnnounceParsingTests.HandleHttpAsync($"/announce/not-a-key-of-anyone-1234?info_hash={hash}{Rest}&left=5", IPAddress.Loopback, _t.Http);
        await AnnounceParsingTests.HandleHttpAsync($"/announce?info_hash={hash}&port=x", IPAddress.Loopback, _t.Http);
        await AnnounceParsingTests.HandleHttpAsync($"/scrape?info_hash={hash}", IPAddress.Loopback, _t.Http);

        // A UDP announce too short to be one (with a valid connection id) is malformed.
        byte[] source = [2, 0, 0x13, 0x88, 127, 0, 0, 1];
        var packet = new byte[40];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(packet, _t.ConnectionIds.Issue(source));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), UdpTrackerProtocol.ActionAnnounce);
        await _t.Udp.HandleAsync(packet, new IPEndPoint(IPAddress.Loopback, 5000), source, new byte[UdpTrackerProtocol.MaxReplyLength], CancellationToken.None);
        listener.RecordObservableInstruments();

        Assert.Equal(2, counts.GetValueOrDefault("tracker.announces http ok"));
        Assert.Equal(1, counts.GetValueOrDefault("tracker.announces http unknown_torrent"));
        Assert.Equal(1, counts.GetValueOrDefault("tracker.announces http unknown_key"));
        Assert.Equal(1, counts.GetValueOrDefault("tracker.announces http malformed"));
        Assert.Equal(1, counts.GetValueOrDefault("tracker.scrapes http ok"));
        Assert.Equal(1, counts.GetValueOrDefault("tracker.announces udp malformed"));
        Assert.Equal(7, counts.Values.Sum());
        Assert.Equal(1, peers["leecher keyed=false"]);
        Assert.Equal(1, peers["seeder keyed=true"]);
        Assert.Equal(0, peers["seeder keyed=false"]);
        Assert.Equal(1, peers["tracker.swarms"]);
    }

    [Theory]
    [InlineData(null, "ok")]
    [InlineData(SwarmTracker.UnknownTorrent, "unknown_torrent")]
    [InlineData(HttpTrackerFrontend.RateLimited, "rate_limited")]
    [InlineData(HttpTrackerFrontend.InternalFailure, "error")]
    [InlineData("malformed request: whatever a client sent", "malformed")]
    public void Failure_reasons_map_to_a_fixed_set_of_result_labels(string? failure, string label) =>
        Assert.Equal(label, TrackerMetrics.Result(failure));

    public void Dispose() => _t.Dispose();
}
