using System.Net;
using Gateway.Agent.Mirror;
using Gateway.Agent.WebSeed;
using Gateway.Delivery.Releases;
using Gateway.State.Views;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.Agent;

/// <summary>
/// Volunteer agents end to end on loopback: a counting origin, the gateway hosting the tracker, and agents each
/// driving its own real aria2c. One class, so the aria2 swarms of different tests never run at once on two cores.
/// </summary>
public sealed class VolunteerAgentTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TestRepository _repository = new();

    [Fact]
    public async Task A_new_release_reaches_every_agent_in_scope_and_the_gateway_redirects_customers_to_them()
    {
        _repository.Add("pool/main/a/apt_1.deb", 90_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2"), new("v3")]);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1", "v2", "v3"], Bound);

        // A release: published at the origin, nobody tells the agents.
        var release = _repository.Add("iso/release-2.iso", 3 * 1024 * 1024 + 777);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/release-2.iso", ["v1", "v2", "v3"], Bound);
        await bed.SyncLoadsSettleAsync(["v1", "v2", "v3"], Bound);

        var seen = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await bed.Gateway.Client.GetAsync("/iso/release-2.iso");
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            var location = response.Headers.Location!;
            seen.Add(location.GetLeftPart(UriPartial.Authority));
            Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(location));
        }

        string[] agents = ["v1", "v2", "v3"];
        Assert.Subset(agents.Select(id => bed[id].Url.GetLeftPart(UriPartial.Authority)).ToHashSet(), seen);
    }

    [Fact]
    public async Task With_the_release_feed_an_agent_syncs_a_release_as_soon_as_publish_notifies_the_gateway_not_at_its_next_poll()
    {
        _repository.Add("pool/main/a/apt_1.deb", 20_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: [], gatewaySettings: ["--Catalog:ReloadInterval=00:10:00"]);

        // Neither the gateway nor the agent polls within this test: only the notification and the feed can bring a release.
        await bed.StartAgentAsync("v1", "--Volunteer:PollInterval=00:10:00", $"--Volunteer:ReleaseFeedUrl={bed.Gateway.Url}{ReleaseFeedEndpoints.Path}");
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1"], Bound);

        var release = _repository.Add("iso/release-3.iso", 1024 * 1024 + 5);
        await bed.PublishAsync();
        var published = System.Diagnostics.Stopwatch.StartNew();
        using (var notify = await bed.Gateway.Client.PostAsync(new Uri(ReleaseFeedEndpoints.Path, UriKind.Relative), content: null))
        {
            Assert.Equal(HttpStatusCode.Accepted, notify.StatusCode);
        }

        await bed.HoldersBecomeAsync("iso/release-3.iso", ["v1"], Bound);
        output.WriteLine($"publish to the first volunteer holding the release: {published.Elapsed.TotalSeconds:F1} s (polls every 10 minutes)");
        using var response = await bed.Gateway.Client.GetAsync("/iso/release-3.iso");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(response.Headers.Location));
    }

    /// <summary>
    /// docs/volunteer.md's <c>volunteer.json</c>, as written: only the hosts, ports, folder and key become this bed's
    /// (the tracker, the origin's manifest, a loopback listen port, a temporary storage folder, the key the gateway
    /// knows). The agent it starts mirrors <c>pool/main</c> and <c>iso</c> as the file says, and the gateway sends
    /// customers to it.
    /// </summary>
    [Fact]
    public async Task The_volunteer_json_in_the_docs_runs_as_written_and_mirrors_its_scope()
    {
        var deb = _repository.Add("pool/main/a/apt_1.deb", 100_000);
        _repository.Add("pool/contrib/x/outside_1.deb", 30_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("physics")], startNow: []);
        var docs = await File.ReadAllTextAsync(RepositoryFiles.PathOf("docs/volunteer.md"));
        var block = System.Text.RegularExpressions.Regex.Match(docs, "`volunteer.json`.*?```json\\n(?<json>.*?)\\n```", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(block.Success, "docs/volunteer.md has no ```json block after `volunteer.json`");
        var port = bed.PortOf("physics");
        var json = block.Groups["json"].Value;
        foreach (var (written, local) in new[]
        {
            ("http://gateway.example.org:6969/announce", $"{bed.TrackerUrl}announce"),
            ("dept-physics-4f1c9a0b7e", new AgentSpec("physics").Key),
            ("http://repo.example.org/", bed.Origin.BaseUrl.ToString()),
            ("/srv/mirror", bed.StorageOf("physics")),
            ("http://0.0.0.0:8081", $"http://127.0.0.1:{port}"),
            ("http://mirror.physics.example.org:8081/", $"http://127.0.0.1:{port}/"),
            ("http://127.0.0.1:6980", "http://127.0.0.1:0"),
        })
        {
            Assert.Contains(written, json, StringComparison.Ordinal);
            json = json.Replace(written, local, StringComparison.Ordinal);
        }

        var config = Path.Combine(_repository.Root, "volunteer.json");
        await File.WriteAllTextAsync(config, json);
        await bed.StartAgentFromFileAsync("physics", config);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["physics"], Bound);
        Assert.Empty(bed.HoldersOf("pool/contrib/x/outside_1.deb"));
        using var response = await bed.Gateway.Client.GetAsync("/pool/main/a/apt_1.deb");
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(deb, await bed.Gateway.Client.GetByteArrayAsync(response.Headers.Location));
    }

    [Fact]
    public async Task A_release_feed_that_answers_garbage_or_errors_never_stops_the_agent_which_keeps_polling()
    {
        _repository.Add("pool/main/a/apt_1.deb", 20_000);
        await using var garbage = await GarbageFeed.StartAsync();
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: []);
        await bed.StartAgentAsync("v1", $"--Volunteer:ReleaseFeedUrl={garbage.Url}");
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1"], Bound);

        _repository.Add("pool/main/b/bash_2.deb", 30_000);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("pool/main/b/bash_2.deb", ["v1"], Bound);
        Assert.True(garbage.Requests >= 2, $"the agent tried the feed {garbage.Requests} times; it should reconnect after each bad answer");
    }

    [Fact]
    public async Task An_agents_engine_announces_at_the_volunteer_interval_the_relayed_reply_carries_not_the_peers_interval()
    {
        // Other peers are told a minute, keyed volunteers 2 s: the agent relays the reply, and aria2 follows it.
        _repository.Add("pool/main/a/apt_1.deb", 20_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: [], gatewaySettings:
        [
            "--Tracker:Interval=00:01:00", "--Tracker:MinInterval=00:01:00", "--Tracker:PeerLifetime=00:02:30",
            "--Tracker:VolunteerInterval=00:00:02", "--Tracker:VolunteerMinInterval=00:00:02",
        ]);

        // The bed's agents set aria2's own interval (bt-tracker-interval); this one leaves it to the tracker, the default.
        await bed.StartAgentAsync("v1", "--Volunteer:AnnounceIntervalSeconds=0");
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1"], Bound);

        var announces = new HashSet<DateTimeOffset>();
        var span = System.Diagnostics.Stopwatch.StartNew();
        while (span.Elapsed < TimeSpan.FromSeconds(9))
        {
            foreach (var torrent in bed["v1"].State.Torrents())
            {
                if (torrent.LastAnnounce is { } last)
                {
                    announces.Add(last.At);
                }
            }

            await Task.Delay(200);
        }

        Assert.True(announces.Count >= 3, $"{announces.Count} relayed announces in 9 s: {string.Join(", ", announces.Order())}");
    }

    [Fact]
    public async Task Once_one_agent_holds_a_release_the_others_take_most_bytes_from_agents_not_the_origin()
    {
        _repository.Add("pool/main/a/apt_1.deb", 20_000);

        // The origin is the bottleneck (a 2 MB/s uplink, as a central server shared by many mirrors).
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2"), new("v3")], originBytesPerSecond: 2_000_000, startNow: ["v1"]);
        const int size = 8 * 1024 * 1024;
        _repository.Add("iso/big.iso", size);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/big.iso", ["v1"], Bound);

        var before = bed.OriginMeter.BytesSent;
        await bed.StartAgentAsync("v2");
        await bed.StartAgentAsync("v3");
        await bed.HoldersBecomeAsync("iso/big.iso", ["v1", "v2", "v3"], Bound);
        var fromOrigin = bed.OriginMeter.BytesSent - before;

        // Each rsyncing mirror would take 2 × 8 MiB from the origin; the agents took most of it from each other.
        Assert.True(fromOrigin < size, $"the origin sent {fromOrigin} bytes for two agents' {2 * size}");
    }

    [Fact]
    public async Task A_partial_mirror_never_receives_files_outside_its_prefixes()
    {
        _repository.Add("pool/main/a/apt_1.deb", 70_000);
        _repository.Add("pool/main/b/bash_5.deb", 50_000);
        _repository.Add("pool/contrib/x/extra_1.deb", 60_000);
        _repository.Add("iso/disk.iso", 5 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("full"), new("part", "pool/main")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["full"], Bound);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["full", "part"], Bound);
        await bed.HoldersBecomeAsync("pool/main/b/bash_5.deb", ["full", "part"], Bound);

        // A later release outside its prefix does not reach it either.
        _repository.Add("iso/disk-2.iso", 5 * 1024 * 1024);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/disk-2.iso", ["full"], Bound);

        Assert.Equal(["pool/main/a/apt_1.deb", "pool/main/b/bash_5.deb"], bed["part"].StoredPaths());
        Assert.Equal(["full"], bed.HoldersOf("pool/contrib/x/extra_1.deb"));
        using var response = await bed.Gateway.Client.GetAsync("/iso/disk-2.iso");
        Assert.Equal(bed["full"].Url.GetLeftPart(UriPartial.Authority), response.Headers.Location?.GetLeftPart(UriPartial.Authority));
    }

    [Fact]
    public async Task An_agent_serves_a_name_whose_identical_content_it_holds_under_another_name()
    {
        var bytes = _repository.Add("iso/disk.iso", 5 * 1024 * 1024 + 3);
        _repository.AddBytes("archive/old-disk.iso", bytes);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("isos", "iso"), new("full")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["isos", "full"], Bound);
        await bed.HoldersBecomeAsync("archive/old-disk.iso", ["isos", "full"], Bound);

        // "isos" mirrors iso/ only, yet holds the content: the gateway may send the other name's customers to it.
        Assert.Equal(["iso/disk.iso"], bed["isos"].StoredPaths());
        using var direct = await bed.Gateway.Client.GetAsync(new Uri(bed["isos"].Url, "archive/old-disk.iso"));
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(bytes, await direct.Content.ReadAsByteArrayAsync());
        var sha = bed.ContentOf("archive/old-disk.iso");
        Assert.Equal(bytes, await bed.Gateway.Client.GetByteArrayAsync(new Uri(bed["isos"].Url, "by-hash/sha256/" + sha)));

        var locations = new HashSet<string>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await bed.Gateway.Client.GetAsync("/archive/old-disk.iso");
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            locations.Add(response.Headers.Location!.GetLeftPart(UriPartial.Authority));
        }

        Assert.Contains(bed["isos"].Url.GetLeftPart(UriPartial.Authority), locations);

        // The full mirror fetched both names and stores the bytes once: both names are one inode. The gateway
        // counts it a holder of both names as soon as either torrent is verified (holdings are by content), so
        // wait for the second torrent's own check, which is what links it (seen racing in a full run).
        await Eventually.HoldsAsync(
            () => bed["full"].State.Torrents().Count(t => t.Phase == TorrentPhase.Verified) == 2,
            Bound,
            () => bed["full"].Describe());
        var full = Path.Combine(bed["full"].Storage, "files");
        var inodes = await CommandLine.RunAsync("stat", ["-c", "%i", Path.Combine(full, "iso/disk.iso"), Path.Combine(full, "archive/old-disk.iso")]);
        var lines = inodes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(lines[0], lines[1]);
    }

    [Fact]
    public async Task An_agent_answers_ranges_head_and_conditional_requests_and_only_for_what_it_verified()
    {
        var bytes = _repository.Add("iso/disk.iso", 5 * 1024 * 1024);
        _repository.Add("pool/main/a/apt_1.deb", 70_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("isos", "iso")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["isos"], Bound);
        var url = new Uri(bed["isos"].Url, "iso/disk.iso");
        var client = bed.Gateway.Client;

        using var range = new HttpRequestMessage(HttpMethod.Get, url);
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1999);
        using var partial = await client.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[1000..2000], await partial.Content.ReadAsByteArrayAsync());

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);
        Assert.Equal($"\"{bed.ContentOf("iso/disk.iso")}\"", head.Headers.ETag?.Tag);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(head.Headers.ETag!);
        using var notModified = await client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var outside = await client.GetAsync(new Uri(bed["isos"].Url, "pool/main/a/apt_1.deb"));
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        using var hostile = await client.GetAsync(new Uri(bed["isos"].Url, "files/iso/disk.iso"));
        Assert.Equal(HttpStatusCode.NotFound, hostile.StatusCode);
    }

    [Fact]
    public async Task Unpublishing_removes_the_file_and_the_gateway_stops_sending_customers_for_it()
    {
        _repository.Add("pool/main/a/apt_1.deb", 80_000);
        _repository.Add("iso/old.iso", 5 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2")]);
        await bed.HoldersBecomeAsync("iso/old.iso", ["v1", "v2"], Bound);
        var sha = bed.ContentOf("iso/old.iso");

        File.Delete(Path.Combine(_repository.Folder, "iso/old.iso"));
        await bed.PublishAsync();
        await Eventually.HoldsAsync(
            () => !bed["v1"].StoredPaths().Contains("iso/old.iso") && !bed["v2"].StoredPaths().Contains("iso/old.iso"),
            Bound,
            () => bed["v1"].Describe() + bed["v2"].Describe());
        await Eventually.HoldsAsync(async () => (await bed.Gateway.Store.GetSnapshotAsync(CancellationToken.None)).Holdings.Values.All(h => !h.Contains(sha)), Bound, () => "the store still lists a holder");

        using var response = await bed.Gateway.Client.GetAsync("/iso/old.iso");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var byHash = await bed.Gateway.Client.GetAsync(new Uri(bed["v1"].Url, "by-hash/sha256/" + sha));
        Assert.Equal(HttpStatusCode.NotFound, byHash.StatusCode);
        Assert.Equal([bed["v1"].Id, bed["v2"].Id], bed.HoldersOf("pool/main/a/apt_1.deb").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_agent_restart_brings_it_back_as_a_holder_without_downloading_again()
    {
        var bytes = _repository.Add("iso/disk.iso", 6 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v1"], Bound);
        await bed.StopAgentAsync("v1");
        await bed.HoldersBecomeAsync("iso/disk.iso", [], Bound);

        var before = bed.OriginMeter.BytesSent;
        var agent = await bed.StartAgentAsync("v1");
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v1"], Bound);

        // Only the manifest and the .torrent came from the origin; the engine checked the file on disk.
        Assert.True(bed.OriginMeter.BytesSent - before < 64 * 1024, $"the origin sent {bed.OriginMeter.BytesSent - before} bytes after the restart");
        var announce = agent.State.Torrents().Single().LastAnnounce!;
        Assert.Equal((0L, 0L), (announce.Downloaded, announce.Left));
        Assert.Equal(bytes, await bed.Gateway.Client.GetByteArrayAsync(new Uri(agent.Url, "iso/disk.iso")));
    }

    [Fact]
    public async Task A_drain_finishes_transfers_in_flight_and_then_the_agent_receives_no_more_customers()
    {
        var bytes = _repository.Add("iso/disk.iso", 12 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v1", "v2"], Bound);
        var v1 = bed["v1"];
        await using var customer = await SlowCustomer.StartAsync(new Uri(v1.Url, "iso/disk.iso"));
        Assert.Contains("200", customer.StatusLine, StringComparison.Ordinal);

        using var drain = await bed.Gateway.Client.PostAsync(new Uri(v1.ControlUrl, "drain"), null);
        Assert.Equal(HttpStatusCode.Accepted, drain.StatusCode);

        // The engine announced event=stopped: the gateway drops v1 while its customer is still downloading.
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v2"], Bound);
        Assert.Equal(1, v1.State.Draining ? v1.App.Services.GetRequiredService<Gateway.Agent.Serving.CustomerTransfers>().Active : -1);
        using var refused = await bed.Gateway.Client.GetAsync(new Uri(v1.Url, "iso/disk.iso"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        for (var i = 0; i < 4; i++)
        {
            using var response = await bed.Gateway.Client.GetAsync("/iso/disk.iso");
            Assert.Equal(bed["v2"].Url.GetLeftPart(UriPartial.Authority), response.Headers.Location?.GetLeftPart(UriPartial.Authority));
        }

        Assert.Equal(bytes, await customer.ReadToEndAsync(Bound));
    }

    [Fact]
    public async Task Sigterm_stops_the_agent_process_which_announces_stopped_and_leaves_no_engine_behind()
    {
        _repository.Add("iso/disk.iso", 5 * 1024 * 1024);

        // Peers live five minutes here: only the engine's event=stopped can take the holding away within the bound.
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: [], gatewaySettings: ["--Tracker:PeerLifetime=00:05:00"]);
        var gateway = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { gateway, "volunteer" }.Concat(bed.AgentArguments("v1")))
        {
            start.ArgumentList.Add(argument);
        }

        using var agent = System.Diagnostics.Process.Start(start)!;
        var output = agent.StandardOutput.ReadToEndAsync();
        var errors = agent.StandardError.ReadToEndAsync();
        try
        {
            await bed.HoldersBecomeAsync("iso/disk.iso", ["v1"], Bound);
            var engines = await CommandLine.RunAsync("pgrep", ["-P", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "aria2c"]);
            var engine = int.Parse(engines.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);

            await CommandLine.RunAsync("kill", ["-TERM", agent.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using (var exit = new CancellationTokenSource(Bound))
            {
                await agent.WaitForExitAsync(exit.Token);
            }

            Assert.True(agent.ExitCode == 0, $"exit {agent.ExitCode}: {await output}\n{await errors}");
            await bed.HoldersBecomeAsync("iso/disk.iso", [], TimeSpan.FromSeconds(30));
            Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(engine));
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task An_agents_reported_customer_load_shifts_the_gateways_choice_to_another_holder()
    {
        _repository.Add("iso/disk.iso", 12 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v1", "v2"], Bound);
        var customers = new List<SlowCustomer>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                customers.Add(await SlowCustomer.StartAsync(new Uri(bed["v1"].Url, "iso/disk.iso")));
            }

            // v1's next announce carries x_http=4; the tracker stores it; the gateway reads it. v2 must also have
            // announced since the sync ended, or its residual sync load plus the redirects below can tie v1's four
            // customers (seen in CI).
            var view = bed.Gateway.App.Services.GetRequiredService<HoldingsView>();
            await Eventually.HoldsAsync(() => view.TryGetLoad("v1", out var load) && load.ActiveTransfers == 4, Bound, () => bed.DescribeLoads(["v1"]));

            // Each response is still being written (the customers read slowly), so each counts whole in x_http_left.
            Assert.True(view.TryGetLoad("v1", out var busy) && busy.CustomerBytesLeft >= 4 * 12 * 1024 * 1024, bed.DescribeLoads(["v1"]));
            await bed.SyncLoadsSettleAsync(["v2"], Bound);
            for (var i = 0; i < 3; i++)
            {
                using var response = await bed.Gateway.Client.GetAsync("/iso/disk.iso");
                var chosen = response.Headers.Location?.GetLeftPart(UriPartial.Authority);
                Assert.True(chosen == bed["v2"].Url.GetLeftPart(UriPartial.Authority), $"redirect {i + 1} went to {chosen}; {bed.DescribeLoads(["v1", "v2"])}");
            }
        }
        finally
        {
            foreach (var customer in customers)
            {
                await customer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_agent_whose_engine_dies_restarts_it_and_holds_its_files_again()
    {
        _repository.Add("iso/disk.iso", 5 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")]);
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v1"], Bound);
        var first = bed["v1"].Engine.ProcessId!.Value;
        using (var process = System.Diagnostics.Process.GetProcessById(first))
        {
            process.Kill();
        }

        await Eventually.HoldsAsync(() => bed["v1"].State.EngineRestarts == 1 && bed["v1"].Engine.ProcessId != first, Bound, bed["v1"].Describe);
        await Eventually.HoldsAsync(() => bed["v1"].State.Torrents().Single().LastAnnounce is { Left: 0, Downloaded: 0 }, Bound, bed["v1"].Describe);
        Assert.Equal(["v1"], bed.HoldersOf("iso/disk.iso"));
    }

    [Fact]
    public async Task An_agent_on_transmission_syncs_from_the_web_seed_serves_customers_and_an_aria2_agent_and_reports_its_load()
    {
        const int size = 8 * 1024 * 1024 + 123;
        var release = _repository.Add("iso/release.iso", size);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("t1"), new("v2")], startNow: []);
        var t1 = await bed.StartAgentAsync("t1", "--Volunteer:Engine=transmission");
        Assert.Equal("transmission", t1.Engine.Name);
        await bed.HoldersBecomeAsync("iso/release.iso", ["t1"], Bound);
        using (var response = await bed.Gateway.Client.GetAsync("/iso/release.iso"))
        {
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            Assert.Equal(t1.Url.GetLeftPart(UriPartial.Authority), response.Headers.Location!.GetLeftPart(UriPartial.Authority));
            Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(response.Headers.Location));
        }

        // The origin loses the file (its web seed answers 404): an aria2 agent can only get it from the Transmission
        // agent, which it dials (Transmission itself never dials peers on 127.x: see docs/volunteer.md).
        File.Delete(Path.Combine(_repository.Folder, "iso", "release.iso"));

        // With web-seed slicing (the default): the relay passes the origin's 404 on, so aria2 drops the relay's URI
        // rather than retrying it for ever and holding the last pieces away from the Transmission peer.
        await bed.StartAgentAsync("v2");
        await bed.HoldersBecomeAsync("iso/release.iso", ["t1", "v2"], Bound);
        await Eventually.HoldsAsync(() => t1.State.Torrents().Single().Engine is { UploadedLength: > 0 }, Bound, t1.Describe);

        // The load rides on Transmission's own announces through the relay.
        var view = bed.Gateway.App.Services.GetRequiredService<HoldingsView>();
        await using var customer = await SlowCustomer.StartAsync(new Uri(t1.Url, "iso/release.iso"));
        await Eventually.HoldsAsync(() => view.TryGetLoad("t1", out var load) && load.ActiveTransfers == 1, Bound, () => view.TryGetLoad("t1", out var load) ? load.ToString() : "no report");
    }

    [Fact]
    public async Task An_agent_whose_origin_lost_the_file_stops_asking_for_it_and_completes_once_the_origin_has_it_again()
    {
        var release = _repository.Add("iso/release.iso", 3 * 1024 * 1024 + 7);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: []);
        var file = Path.Combine(_repository.Folder, "iso", "release.iso");
        File.Delete(file);

        // Alone in the swarm, the agent's relay forwards everything; the origin's 404 makes it tell aria2 to drop the
        // web seed (no retries for ever), and the agent probes the origin every second here.
        var v1 = await bed.StartAgentAsync("v1", "--Volunteer:WebSeedOriginProbe=00:00:01");
        await Eventually.HoldsAsync(() => v1.State.Torrents().SingleOrDefault()?.WebSeed?.Origin.GoneAt is not null, Bound, v1.Describe);
        Assert.Contains("status 404", await bed.Gateway.Client.GetStringAsync(new Uri(v1.Url, ".well-known/volunteer-status")), StringComparison.Ordinal);
        Assert.Empty(bed.HoldersOf("iso/release.iso"));

        // The file is back: the probe sees it, the torrent is added again with a fresh relay, and it completes.
        await File.WriteAllBytesAsync(file, release);
        await bed.HoldersBecomeAsync("iso/release.iso", ["v1"], Bound);
        Assert.Null(v1.State.Torrents().Single().WebSeed!.Origin.GoneAt);
        Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(new Uri(v1.Url, "iso/release.iso")));
    }

    [Fact]
    public async Task A_file_that_fails_its_sha256_check_is_fetched_again_and_served_once_it_matches()
    {
        var bytes = _repository.Add("iso/disk.iso", 2 * 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: []);
        var manifest = await File.ReadAllTextAsync(bed.ManifestFile);
        await ReplaceManifestAsync(bed, WithWrongDigest(manifest, bytes));

        // The engine's SHA-1 pieces match the torrent; the catalog's SHA-256 does not: never served, fetched again.
        var agent = await bed.StartAgentAsync("v1", "--Volunteer:VerifyAttempts=5", "--Volunteer:VerifyRetryDelay=00:00:01");
        await Eventually.HoldsAsync(() => agent.State.Torrents().SingleOrDefault() is { FailedVerifications: 1 }, Bound, agent.Describe);
        using (var refused = await bed.Gateway.Client.GetAsync(new Uri(agent.Url, "iso/disk.iso")))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        // A trailing newline: another length, so another ETag even within the same second (static files' ETags
        // are the modification time in whole seconds and the length).
        await ReplaceManifestAsync(bed, manifest + "\n");
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v1"], Bound);
        Assert.Equal(TorrentPhase.Verified, agent.State.Torrents().Single().Phase);
        Assert.True(bed.OriginMeter.BytesSent >= 2L * bytes.Length, $"the origin sent {bed.OriginMeter.BytesSent} bytes: the file was not fetched again");
        Assert.Equal(bytes, await bed.Gateway.Client.GetByteArrayAsync(new Uri(agent.Url, "iso/disk.iso")));
    }

    [Fact]
    public async Task A_file_that_never_matches_its_sha256_is_fetched_a_bounded_number_of_times_then_reported_unhealthy()
    {
        var bytes = _repository.Add("iso/disk.iso", 1024 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: []);
        await ReplaceManifestAsync(bed, WithWrongDigest(await File.ReadAllTextAsync(bed.ManifestFile), bytes));
        var agent = await bed.StartAgentAsync("v1", "--Volunteer:VerifyAttempts=2", "--Volunteer:VerifyRetryDelay=00:00:00.2");

        await Eventually.HoldsAsync(() => agent.State.Torrents().SingleOrDefault() is { FailedVerifications: 2, Phase: TorrentPhase.Failed }, Bound, agent.Describe);
        var torrent = agent.State.Torrents().Single();
        Assert.Contains("gave up after 2 failed checks", torrent.Problem, StringComparison.Ordinal);
        Assert.Contains("gave up after 2 failed checks", await bed.Gateway.Client.GetStringAsync(new Uri(agent.Url, ".well-known/volunteer-status")), StringComparison.Ordinal);
        var sent = bed.OriginMeter.BytesSent;
        Assert.InRange(sent, 2L * bytes.Length, 3L * bytes.Length - 1);
        Assert.Empty(bed.HoldersOf("iso/disk.iso"));
    }

    [Fact]
    public async Task An_agent_whose_engine_dies_more_often_than_allowed_reports_itself_unhealthy()
    {
        _repository.Add("iso/disk.iso", 512 * 1024);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")], startNow: []);
        var agent = await bed.StartAgentAsync("v1", "--Volunteer:EngineRestarts=0");
        await bed.HoldersBecomeAsync("iso/disk.iso", ["v1"], Bound);
        using (var process = System.Diagnostics.Process.GetProcessById(agent.Engine.ProcessId!.Value))
        {
            process.Kill();
        }

        await Eventually.HoldsAsync(() => !agent.State.Healthy, Bound, agent.Describe);
        using var health = await bed.Gateway.Client.GetAsync(new Uri(agent.Url, "healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(0, agent.State.EngineRestarts);
        Assert.False(agent.Engine.IsRunning);
    }

    [Fact]
    public async Task Agents_that_start_a_release_together_each_pay_the_origin_for_their_own_slice_only()
    {
        _repository.Add("pool/main/a/apt_1.deb", 20_000);

        // The origin's uplink is the bottleneck; every agent follows the feed when the release appears.
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2"), new("v3")], originBytesPerSecond: 3_000_000);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1", "v2", "v3"], Bound);
        const int size = 12 * 1024 * 1024;
        var release = _repository.Add("iso/release.iso", size);
        var before = bed.OriginMeter.BytesSent;
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/release.iso", ["v1", "v2", "v3"], Bound);
        var fromOrigin = bed.OriginMeter.BytesSent - before;

        // About one copy (plus the manifest and the .torrent), where three agents fetching at random places paid for
        // the same segments (1.5-2.3 copies before slicing). Each agent fetched through its relay, with its own slice.
        string[] agents = ["v1", "v2", "v3"];
        Assert.True(fromOrigin <= size * 1.2, $"the origin sent {fromOrigin} bytes ({fromOrigin / (double)size:F2} copies)\n{string.Join("\n", agents.Select(id => bed[id].Describe()))}");
        var slicings = agents.Select(id => bed[id].State.Torrents().Single(t => t.Torrent.Name == "release.iso").WebSeed!).ToList();
        Assert.All(slicings, s => Assert.Equal(3, s.Slice?.Members.Count));
        Assert.Equal(3, slicings.Select(s => s.Slice!.Self).Distinct().Count());
        Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(new Uri(bed["v2"].Url, "iso/release.iso")));
    }

    [Fact]
    public async Task An_agent_alone_in_the_swarm_fetches_the_whole_release_through_its_relay()
    {
        _repository.Add("pool/main/a/apt_1.deb", 20_000);
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1")]);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1"], Bound);
        var release = _repository.Add("iso/alone.iso", (3 * 1024 * 1024) + 5);
        await bed.PublishAsync();
        await bed.HoldersBecomeAsync("iso/alone.iso", ["v1"], Bound);

        var slicing = bed["v1"].State.Torrents().Single(t => t.Torrent.Name == "alone.iso").WebSeed!;
        Assert.Equal(1, slicing.Slice?.Members.Count);
        Assert.True(slicing.ForwardedBytes >= release.Length, $"the relay forwarded {slicing.ForwardedBytes} bytes of {release.Length}");
        Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(new Uri(bed["v1"].Url, "iso/alone.iso")));
    }

    [Fact]
    public async Task When_an_agent_leaves_before_its_slice_is_shared_the_others_still_complete()
    {
        _repository.Add("pool/main/a/apt_1.deb", 20_000);

        // A slow origin: the three slices take seconds to come, and v3 leaves while fetching its own.
        await using var bed = await AgentTestBed.StartAsync(_repository, [new("v1"), new("v2"), new("v3")], originBytesPerSecond: 1_000_000);
        await bed.HoldersBecomeAsync("pool/main/a/apt_1.deb", ["v1", "v2", "v3"], Bound);
        var release = _repository.Add("iso/left.iso", 9 * 1024 * 1024);
        await bed.PublishAsync();
        WebSeedSlicing? Slicing(string id) => bed[id].State.Torrents().SingleOrDefault(t => t.Torrent.Name == "left.iso")?.WebSeed;
        await Eventually.HoldsAsync(() => Slicing("v3") is { Slice.Members.Count: 3, ForwardedBytes: > 0 }, Bound, bed["v3"].Describe);
        Assert.Empty(bed.HoldersOf("iso/left.iso"));
        await bed.StopAgentAsync("v3");

        await bed.HoldersBecomeAsync("iso/left.iso", ["v1", "v2"], Bound);
        Assert.Equal(release, await bed.Gateway.Client.GetByteArrayAsync(new Uri(bed["v1"].Url, "iso/left.iso")));
    }

    // As publish does: a whole new file renamed into place, so a reader never sees half of one.
    private static async Task ReplaceManifestAsync(AgentTestBed bed, string text)
    {
        await File.WriteAllTextAsync(bed.ManifestFile + ".tmp", text);
        File.Move(bed.ManifestFile + ".tmp", bed.ManifestFile, overwrite: true);
    }

    // The manifest with the file's SHA-256 replaced by another valid-looking digest (as a bad publish or a bad disk would give).
    private static string WithWrongDigest(string manifest, byte[] bytes)
    {
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        Assert.Contains(digest, manifest, StringComparison.Ordinal);
        return manifest.Replace(digest, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(1))), StringComparison.Ordinal);
    }

    public void Dispose() => _repository.Dispose();
}
