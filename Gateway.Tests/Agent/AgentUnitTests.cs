using CsCheck;
using Gateway.Agent;
using Gateway.Agent.Hosting;
using Gateway.Agent.Mirror;
using Gateway.Agent.Relay;
using Gateway.Core.Announce;
using Gateway.Core.Catalog;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Agent;

/// <summary>The agent's parts below the end-to-end tests: its configuration, its relay's rewriting and its scope.</summary>
public sealed class AgentUnitTests
{
    private const string Query = "info_hash=%B3%D6t%BBp%A2%B3%D6t%BBp%A2%B3%D6t%BBp%A2%B3%D6&peer_id=-aria2-0123456789abc&port=6881&uploaded=10&downloaded=20&left=0&compact=1&event=completed";

    [Fact]
    public void Configuration_errors_name_each_wrong_key()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => VolunteerAgentHost.Build(
        [
            "--Volunteer:TrackerUrl=ftp://tracker/announce",
            "--Volunteer:Key=short",
            "--Volunteer:Mirror:0=pool/../etc",
            "--Volunteer:ControlUrl=http://10.1.2.3:6980",
            "--Volunteer:Engine=rtorrent",
            "--Volunteer:QuotaBytes=-1",
        ]));
        var text = string.Join("\n", ex.Failures);
        foreach (var key in new[] { "Volunteer:TrackerUrl", "Volunteer:Key", "Volunteer:ManifestUrl", "Volunteer:PublicUrl", "Volunteer:Mirror", "Volunteer:ControlUrl", "Volunteer:Storage", "Volunteer:Engine", "Volunteer:QuotaBytes" })
        {
            Assert.Contains(key, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_valid_configuration_passes()
    {
        var options = ValidOptions();
        options.Mirror.Add("pool/main");
        Assert.True(new VolunteerAgentOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(new Uri("http://tracker.example.org:6969/announce/mirror1-key-0123456789"), options.KeyedAnnounceUrl);
    }

    [Theory]
    [InlineData("aria2", true)]
    [InlineData("Transmission", true)]
    [InlineData("rtorrent", false)]
    [InlineData("", false)]
    public void The_engine_is_aria2_or_transmission(string engine, bool valid)
    {
        var options = ValidOptions();
        options.Engine = engine;
        options.TransmissionRpcPort = valid ? 0 : 70000;
        var result = new VolunteerAgentOptionsValidator().Validate(null, options);
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Volunteer:Engine '" + engine + "' is not supported; use aria2 or transmission.", result.Failures!);
            Assert.Contains(result.Failures!, f => f.StartsWith("Volunteer:TransmissionRpcPort", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(0, 0, null)]
    [InlineData(500_000, 0, 500_000L)]
    [InlineData(500_000, 1_250_000, 1_250_000L)]
    [InlineData(0, 1_250_000, 1_250_000L)]
    public void The_agent_reports_its_uplink_as_x_cap_and_falls_back_to_the_bittorrent_upload_limit(long uploadLimit, long uplink, long? reported)
    {
        var options = ValidOptions();
        options.UploadLimitBytesPerSecond = uploadLimit;
        options.UplinkBytesPerSecond = uplink;
        Assert.True(new VolunteerAgentOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(reported, options.ReportedCapacityBytesPerSecond);
    }

    [Fact]
    public void An_uplink_below_the_bittorrent_upload_limit_is_refused()
    {
        var options = ValidOptions();
        options.UploadLimitBytesPerSecond = 2_000_000;
        options.UplinkBytesPerSecond = 1_250_000;
        var result = new VolunteerAgentOptionsValidator().Validate(null, options);
        Assert.Contains(result.Failures!, f => f.StartsWith("Volunteer:UplinkBytesPerSecond 1250000 must be", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("00:00:30", true)]
    [InlineData("00:00:00.5", true)]
    [InlineData("00:00:00", false)]
    [InlineData("-00:00:01", false)]
    public void The_web_seed_origin_probe_interval_is_positive(string interval, bool valid)
    {
        var options = ValidOptions();
        options.WebSeedOriginProbe = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture);
        var result = new VolunteerAgentOptionsValidator().Validate(null, options);
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains(result.Failures!, f => f.StartsWith("Volunteer:WebSeedOriginProbe", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_relay_adds_the_load_the_trackers_parser_reads_back_and_drops_the_engines_own()
    {
        Gen.Select(Gen.Int[0, 10_000], Gen.Int[0, 500], Gen.Long[0, 1L << 40], Gen.Long[0, 1L << 40], Gen.Long[-1, 1L << 40], Gen.Long[-1, 1L << 50])
            .Sample((http, peers, up, down, cap, left) =>
            {
                var load = new LoadFeedback(http, peers, up, down, cap < 0 ? null : cap, left < 0 ? null : left);
                var rewritten = AnnounceRelay.Rewrite(Query + "&x_http=999&x_cap=1", null, load);
                Assert.True(AnnounceParser.TryParse(rewritten, out var parsed, out var failure), failure);
                Assert.Equal(load, parsed.Feedback);
                Assert.Equal(0, parsed.Left);
                Assert.Equal(AnnounceEvent.Completed, parsed.Event);
            });
    }

    [Fact]
    public void The_relay_reports_an_unverified_torrent_as_incomplete()
    {
        var rewritten = AnnounceRelay.Rewrite(Query, 12345, default);
        Assert.True(AnnounceParser.TryParse(rewritten, out var parsed, out _));
        Assert.Equal(12345, parsed.Left);
        Assert.True(AnnounceParser.TryParse(Query, out var original, out _));
        Assert.Equal(original.InfoHash, parsed.InfoHash);
        Assert.Equal(original.PeerId, parsed.PeerId);
    }

    [Fact]
    public void Prefixes_match_whole_segments()
    {
        var scope = new MirrorScope(["pool/main"], 0);
        Assert.True(scope.Covers("pool/main/a/apt.deb"));
        Assert.True(scope.Covers("pool/main"));
        Assert.False(scope.Covers("pool/mainline/a/apt.deb"));
        Assert.False(scope.Covers("iso/disk.iso"));
        Assert.True(new MirrorScope([], 0).Covers("anything/at/all"));
    }

    [Fact]
    public void A_torrent_straddling_a_prefix_is_left_out_and_a_copy_in_scope_is_used()
    {
        var manifest = new Manifest(Manifest.CurrentFormat, DateTimeOffset.UnixEpoch, [],
        [
            Torrent("1", "main", "pool", ["pool/main/a.deb", "pool/main/b.deb"], 100),
            Torrent("2", "pool", "", ["pool/main/a.deb", "pool/contrib/c.deb"], 100),
            Torrent("3", "disk.iso", "iso", ["iso/disk.iso"], 1000, copies: ["pool/main/images"]),
        ]);
        var plan = new MirrorScope(["pool/main"], 0).Plan(manifest);
        Assert.Equal([("1", "pool"), ("3", "pool/main/images")], plan.Select(p => (p.Torrent.InfoHash[..1], p.Placement)));
    }

    [Fact]
    public void Torrents_past_the_quota_are_not_fetched()
    {
        var manifest = new Manifest(Manifest.CurrentFormat, DateTimeOffset.UnixEpoch, [],
        [
            Torrent("1", "a.iso", "iso", ["iso/a.iso"], 600),
            Torrent("2", "b.iso", "iso", ["iso/b.iso"], 600),
            Torrent("3", "c.iso", "iso", ["iso/c.iso"], 300),
        ]);
        var plan = new MirrorScope([], 1000).Plan(manifest);
        Assert.Equal(["1", "3"], plan.Select(p => p.Torrent.InfoHash[..1]));
    }

    private static ManifestTorrent Torrent(string id, string name, string folder, string[] files, long size, string[]? copies = null) =>
        new(id + new string('0', 39), name, folder, files.Length == 1, "torrents/x.torrent", 32768, size, false, null, null, files, copies);

    private static VolunteerAgentOptions ValidOptions() => new()
    {
        TrackerUrl = "http://tracker.example.org:6969/announce",
        Key = "mirror1-key-0123456789",
        ManifestUrl = "http://repo.example.org/manifest.json",
        PublicUrl = "http://mirror1.example.org:8081/",
        Storage = "/srv/mirror",
    };

    [Fact]
    public void A_download_listed_twice_by_the_engine_is_kept_once_as_last_seen()
    {
        // aria2 is asked for active, then waiting, then stopped downloads: one that completed in between is in two lists.
        var running = new Gateway.Agent.Engine.EngineTorrent("g1", null, "active", 100, 90, 0, 10, 5, 3, null);
        var other = new Gateway.Agent.Engine.EngineTorrent("g2", null, "active", 100, 100, 0, 0, 0, 1, null);
        var done = running with { Status = "complete", CompletedLength = 100, Connections = 2 };

        var torrents = Gateway.Agent.Engine.EngineSnapshot.LatestPerId([running, other, done]);

        Assert.Equal([done, other], torrents);
        Assert.Equal(3, new Gateway.Agent.Engine.EngineSnapshot(0, 0, torrents).Connections);
    }
}
