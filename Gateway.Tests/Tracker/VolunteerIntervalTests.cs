using System.Net;
using Gateway.Core.Bencode;
using Gateway.Feedback.Tracker;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Tracker;

/// <summary>
/// Keyed volunteers are told their own, short announce interval (their load report rides on it); other peers keep the
/// long one. UDP's reply is in <see cref="UdpProtocolTests"/>.
/// </summary>
public sealed class VolunteerIntervalTests : IDisposable
{
    private readonly TrackerUnderUnitTest _t = new();

    [Fact]
    public async Task A_keyed_http_announce_is_told_the_volunteer_interval_and_min_interval()
    {
        var reply = await AnnounceAsync($"/announce/{TrackerUnderUnitTest.Key}", "AAAAAAAAAAAAAAAAAAAA");
        Assert.Equal((30L, 30L), Intervals(reply));
    }

    [Fact]
    public async Task An_anonymous_http_announce_keeps_the_long_interval_and_min_interval()
    {
        var reply = await AnnounceAsync("/announce", "BBBBBBBBBBBBBBBBBBBB");
        Assert.Equal((300L, 60L), Intervals(reply));
    }

    [Fact]
    public async Task A_keyed_volunteers_stopped_announce_is_told_its_own_interval_too()
    {
        var reply = await AnnounceAsync($"/announce/{TrackerUnderUnitTest.Key}", "CCCCCCCCCCCCCCCCCCCC", "&event=stopped");
        Assert.Equal((30L, 30L), Intervals(reply));
    }

    [Fact]
    public async Task A_configured_volunteer_min_interval_is_sent_apart_from_the_interval()
    {
        using var t = new TrackerUnderUnitTest(new TrackerOptions { RateLimitPerSecond = 0, VolunteerInterval = TimeSpan.FromSeconds(20), VolunteerMinInterval = TimeSpan.FromSeconds(10) });
        var hash = TrackerTestBed.PercentEncode(TrackerUnderUnitTest.Torrent.ToArray());
        var reply = await AnnounceParsingTests.HandleHttpAsync($"/announce/{TrackerUnderUnitTest.Key}?info_hash={hash}&peer_id=DDDDDDDDDDDDDDDDDDDD&port=1&left=0", IPAddress.Loopback, t.Http);
        Assert.Equal((20L, 10L), Intervals(reply));
    }

    [Theory]
    [InlineData("00:00:30", null, null, null)]
    [InlineData("00:00:00.5", null, null, "Tracker:VolunteerInterval")]
    [InlineData("00:00:30", "00:00:40", null, "Tracker:VolunteerMinInterval")]
    [InlineData("00:20:00", null, null, null)] // the default peer lifetime follows the longer interval
    [InlineData("00:20:00", null, "00:15:00", "Tracker:PeerLifetime 00:15:00 must be longer than Tracker:VolunteerInterval")]
    public void The_volunteer_interval_is_validated_naming_the_key(string interval, string? minInterval, string? peerLifetime, string? error)
    {
        var options = new TrackerOptions
        {
            VolunteerInterval = Parse(interval),
            VolunteerMinInterval = minInterval is null ? null : Parse(minInterval),
            PeerLifetime = peerLifetime is null ? null : Parse(peerLifetime),
        };
        var result = new TrackerOptionsValidator().Validate(null, options);
        if (error is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        else
        {
            Assert.Contains(error, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    public void Dispose() => _t.Dispose();

    private static TimeSpan Parse(string text) => TimeSpan.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private async Task<byte[]> AnnounceAsync(string path, string peerId, string extra = "")
    {
        var hash = TrackerTestBed.PercentEncode(TrackerUnderUnitTest.Torrent.ToArray());
        return await AnnounceParsingTests.HandleHttpAsync($"{path}?info_hash={hash}&peer_id={peerId}&port=1&left=0{extra}", IPAddress.Loopback, _t.Http);
    }

    private static (long Interval, long MinInterval) Intervals(byte[] reply)
    {
        var d = (BencodeDictionary)BencodeDecoder.Decode(reply);
        return (d.Get<BencodeInteger>("interval"u8)!.Value, d.Get<BencodeInteger>("min interval"u8)!.Value);
    }
}
