using System.Net;
using Gateway.Core.Catalog;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.EndToEnd;

public sealed class CatalogReloadTests
{
    [Theory]
    [InlineData("Redirect")]
    [InlineData("Proxy")]
    public async Task Republishing_while_requests_run_fails_none_and_the_new_file_becomes_servable(string mode)
    {
        await using var s = await StartAsync($"--Gateway:Mode={mode}", "--Gateway:SmallFileThreshold=0");
        await s.Gateway.HoldAsync("v1", Big);
        await s.Gateway.HoldAsync("v2", Big);
        var expected = s.Repository.Read(Big);
        var catalog = s.Gateway.App.Services.GetRequiredService<CatalogState>();
        var firstVersion = catalog.Current.Version;

        using var follower = new HttpClient();
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var completed = 0;
        async Task LoadAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await follower.GetAsync(s.Url(Big));
                var body = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK || !body.AsSpan().SequenceEqual(expected))
                {
                    lock (failures)
                    {
                        failures.Add($"{(int)response.StatusCode} {body.Length} bytes");
                    }
                }

                Interlocked.Increment(ref completed);
            }
        }

        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(LoadAsync)).ToArray();

        // Publish three times while the load runs; each time a new file appears.
        for (var round = 0; round < 3; round++)
        {
            var added = $"pool/new/file{round}.deb";
            s.Repository.Add(added, 100_000 + round);
            await s.Repository.PublishAsync();
            await Eventually.HoldsAsync(() => catalog.Current.Find(added) is not null, TimeSpan.FromSeconds(10), () => $"catalog version {catalog.Current.Version}");
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.NotEqual(firstVersion, catalog.Current.Version);
        Assert.True(completed > 20, $"only {completed} requests ran during the reloads");
        Assert.Empty(failures);

        // The new file is known: served by the origin until a volunteer holds it, then by the volunteer.
        using var before = await s.Gateway.Client.GetAsync("pool/new/file2.deb");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        s.Repository.MirrorFolder("v3", ["pool/new/file2.deb"]);
        await s.Gateway.HoldAsync("v3", "pool/new/file2.deb");
        using var after = await follower.GetAsync(s.Url("pool/new/file2.deb"));
        Assert.Equal(s.Repository.Read("pool/new/file2.deb"), await after.Content.ReadAsByteArrayAsync());
        Assert.Contains("/pool/new/file2.deb", s.Gateway["v3"].Hits);
    }

    [Fact]
    public async Task The_manifest_is_loaded_from_a_url_and_reloaded_when_its_etag_changes()
    {
        using var repository = new TestRepository();
        repository.Add("pool/a.deb", 100_000);
        await repository.PublishAsync();
        await using var manifestServer = await Gateway.Demo.StaticFileServer.StartAsync(repository.Root, 0, CancellationToken.None);
        await using var volunteer = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", ["pool/a.deb"]));
        await using var gateway = await GatewayUnderTest.StartAsync(
            repository, [volunteer], $"--Catalog:Source={manifestServer.BaseUrl}manifest.json", "--Volunteers:0:Inventory=all", "--Gateway:SmallFileThreshold=0");
        var catalog = gateway.App.Services.GetRequiredService<CatalogState>();
        Assert.StartsWith("etag:", catalog.Current.Version, StringComparison.Ordinal);
        using (var response = await gateway.Client.GetAsync("pool/a.deb"))
        {
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        }

        // An unchanged manifest is a 304: the catalog object stays the same.
        var before = catalog.Current;
        var reloader = gateway.App.Services.GetRequiredService<CatalogReloadService>();
        Assert.False(await reloader.ReloadOnceAsync(CancellationToken.None));
        Assert.Same(before, catalog.Current);

        repository.Add("pool/b.deb", 100_000);
        await repository.PublishAsync();
        await Eventually.HoldsAsync(() => catalog.Current.Find("pool/b.deb") is not null, TimeSpan.FromSeconds(10), () => catalog.Current.Version);
        Assert.NotSame(before, catalog.Current);
    }

    [Fact]
    public async Task A_broken_manifest_keeps_the_catalog_in_force()
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0");
        await s.Gateway.HoldAsync("v1", Big);
        var catalog = s.Gateway.App.Services.GetRequiredService<CatalogState>();
        var reloader = s.Gateway.App.Services.GetRequiredService<CatalogReloadService>();
        await File.WriteAllTextAsync(s.Repository.ManifestPath, "{ \"format\": 1, \"files\": [ { \"path\": \"../etc/passwd\"");
        Assert.False(await reloader.ReloadOnceAsync(CancellationToken.None));
        Assert.NotNull(catalog.Current.Find(Big));
        using var response = await s.Gateway.Client.GetAsync(Big);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
    }
}
