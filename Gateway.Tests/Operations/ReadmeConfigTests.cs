using System.Net;
using System.Text.RegularExpressions;
using Gateway.Demo;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Operations;

/// <summary>
/// The README's minimal <c>appsettings.json</c>, as written: its hosts replaced by loopback servers that serve the
/// repository where the config says (<c>/debian/</c> on the origin and on each mirror), and real apt pointed at the
/// gateway's <c>/debian</c> as the README says. A wrong example fails here.
/// </summary>
public sealed partial class ReadmeConfigTests
{
    [Fact]
    public async Task The_readmes_minimal_config_runs_as_written_and_apt_gets_its_packages_from_the_mirrors()
    {
        var json = MinimalConfig(await File.ReadAllTextAsync(RepositoryFiles.PathOf("README.md")));

        using var repository = new TestRepository();
        var debs = new[] { await DebRepository.BuildDebAsync(repository, "gw-readme-a", 120_000), await DebRepository.BuildDebAsync(repository, "gw-readme-b", 90_000) };
        await DebRepository.WriteIndexesAsync(repository);
        await repository.PublishAsync();
        File.Copy(repository.ManifestPath, Path.Combine(repository.Folder, "manifest.json"));
        string[] indexes = ["dists/stable/Release", "dists/stable/main/binary-amd64/Packages"];

        // Each server holds the repository under /debian/, as the config's URLs say.
        await using var origin = await StaticFileServer.StartAsync(Site(repository, "origin-site", repository.Folder), IPAddress.Loopback, 0, CancellationToken.None);
        await using var physics = await TestVolunteer.StartAsync("physics", Site(repository, "physics-site", repository.MirrorFolder("physics", [.. debs, .. indexes])));
        var library = repository.MirrorFolder("library", [debs[1], .. indexes]);
        await File.WriteAllTextAsync(Path.Combine(library, "inventory.txt"), debs[1] + "\n");
        await using var libraryServer = await TestVolunteer.StartAsync("library", Site(repository, "library-site", library));

        var port = TestPorts.Tcp();
        json = Replace(json, "http://0.0.0.0:80", $"http://127.0.0.1:{port}");
        json = Replace(json, "http://origin.internal/", origin.BaseUrl.ToString());
        json = Replace(json, "http://mirror.physics.example.org/", physics.BaseUrl.ToString());
        json = Replace(json, "http://mirror.library.example.org/", libraryServer.BaseUrl.ToString());
        var config = Path.Combine(repository.Root, "appsettings.json");
        await File.WriteAllTextAsync(config, json);

        await using var gateway = GatewayHost.Build(["--config", config]);
        await gateway.StartAsync();

        await AptRoot.Create(repository.Root, $"http://127.0.0.1:{port}/debian").UpdateAndDownloadAsync(repository, debs);

        // The packages came from the mirrors (the library holds only what its inventory lists); the indexes from the origin.
        var served = physics.Hits.Concat(libraryServer.Hits).Where(h => h.EndsWith(".deb", StringComparison.Ordinal)).Order().ToArray();
        Assert.Equal(debs.Select(d => "/debian/" + d).Order(), served);
        Assert.DoesNotContain(libraryServer.Hits, h => h.EndsWith(debs[0], StringComparison.Ordinal));

        // Outside the path base: 404, while the gateway's own endpoints answer at the root.
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(debs[0])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("readyz")).StatusCode);
    }

    /// <summary>The JSON block after "A minimal `appsettings.json`" in the README.</summary>
    private static string MinimalConfig(string readme)
    {
        var match = MinimalBlock().Match(readme);
        Assert.True(match.Success, "README.md has no ```json block after 'A minimal `appsettings.json`'");
        return match.Groups["json"].Value;
    }

    private static string Replace(string json, string host, string with)
    {
        Assert.Contains(host, json, StringComparison.Ordinal);
        return json.Replace(host, with, StringComparison.Ordinal);
    }

    /// <summary>A server root whose <c>debian/</c> is <paramref name="repository"/> (a symbolic link: the bytes stay where the test put them).</summary>
    private static string Site(TestRepository parent, string name, string repository)
    {
        var site = Path.Combine(parent.Root, name);
        Directory.CreateDirectory(site);
        Directory.CreateSymbolicLink(Path.Combine(site, "debian"), repository);
        return site;
    }

    [GeneratedRegex("A minimal `appsettings.json`.*?```json\\n(?<json>.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex MinimalBlock();
}
