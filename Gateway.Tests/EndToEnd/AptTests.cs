using System.Globalization;
using System.Security.Cryptography;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>Debian's real apt-get against the gateway, with its own state folders so the machine's apt is untouched.</summary>
public sealed class AptTests
{
    [Theory]
    [InlineData("Redirect")]
    [InlineData("Proxy")]
    public async Task Apt_updates_from_the_origin_and_downloads_packages_from_volunteers(string mode)
    {
        using var repository = new TestRepository();
        var debs = new[] { await BuildDebAsync(repository, "gw-test-a", 200_000), await BuildDebAsync(repository, "gw-test-b", 150_000) };
        await WriteIndexesAsync(repository);
        await repository.PublishAsync();
        await using var volunteer = await TestVolunteer.StartAsync("v1", repository.MirrorFolder("v1", debs));
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [volunteer], $"--Gateway:Mode={mode}", "--Volunteers:0:Inventory=all");

        var apt = AptRoot.Create(repository.Root, $"{gateway.Url}/");
        var update = await apt.RunAsync("update");
        Assert.True(update.ExitCode == 0, update.Stdout + update.Stderr);
        Assert.DoesNotContain("Err:", update.Stdout, StringComparison.Ordinal);
        var download = await apt.RunAsync("download", "gw-test-a", "gw-test-b");
        Assert.True(download.ExitCode == 0, download.Stdout + download.Stderr);

        foreach (var deb in debs)
        {
            var fetched = Path.Combine(apt.Downloads, Path.GetFileName(deb));
            Assert.Equal(SHA256.HashData(repository.Read(deb)), SHA256.HashData(await File.ReadAllBytesAsync(fetched)));
        }

        // The packages came from the volunteer; Release and Packages never did.
        Assert.Equal(debs.Select(d => "/" + d).Order(), volunteer.Hits.Order());
    }

    private static async Task<string> BuildDebAsync(TestRepository repository, string name, int payload)
    {
        var build = Path.Combine(repository.Root, "build-" + name);
        Directory.CreateDirectory(Path.Combine(build, "DEBIAN"));
        Directory.CreateDirectory(Path.Combine(build, "usr/share", name));
        await File.WriteAllTextAsync(Path.Combine(build, "DEBIAN/control"),
            $"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: gateway test package\n");
        await File.WriteAllBytesAsync(Path.Combine(build, "usr/share", name, "data"), RandomNumberGenerator.GetBytes(payload));
        var relative = $"pool/main/g/{name}/{name}_1.0_all.deb";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(repository.Folder, relative))!);
        var result = await CommandLine.RunAsync("dpkg-deb", ["--build", "-Zgzip", build, Path.Combine(repository.Folder, relative)]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return relative;
    }

    private static async Task WriteIndexesAsync(TestRepository repository)
    {
        var scan = await RunInAsync(repository.Folder, "dpkg-scanpackages", "--multiversion", "pool", "/dev/null");
        const string packages = "dists/stable/main/binary-amd64/Packages";
        repository.AddBytes(packages, System.Text.Encoding.UTF8.GetBytes(scan));
        var bytes = repository.Read(packages);
        var release = $"""
            Suite: stable
            Codename: stable
            Components: main
            Architectures: amd64 all
            Date: {DateTime.UtcNow.ToString("R", CultureInfo.InvariantCulture)}
            SHA256:
             {Convert.ToHexStringLower(SHA256.HashData(bytes))} {bytes.Length} main/binary-amd64/Packages

            """;
        repository.AddBytes("dists/stable/Release", System.Text.Encoding.UTF8.GetBytes(release));
    }

    private static async Task<string> RunInAsync(string folder, string file, params string[] arguments)
    {
        var result = await CommandLine.RunAsync("sh", ["-c", $"cd '{folder}' && exec {file} {string.Join(' ', arguments)}"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    private sealed class AptRoot
    {
        private string[] _options = [];

        public string Downloads { get; private init; } = string.Empty;

        public static AptRoot Create(string parent, string repositoryUrl)
        {
            var root = Path.Combine(parent, "apt");
            foreach (var folder in new[] { "state/lists/partial", "cache/archives/partial", "etc/parts", "etc/preferences.d", "downloads" })
            {
                Directory.CreateDirectory(Path.Combine(root, folder));
            }

            File.WriteAllText(Path.Combine(root, "status"), string.Empty);
            File.WriteAllText(Path.Combine(root, "sources.list"), $"deb [trusted=yes arch=amd64] {repositoryUrl} stable main\n");
            return new AptRoot
            {
                Downloads = Path.Combine(root, "downloads"),
                _options =
                [
                    "-o", $"Dir::State={root}/state", "-o", $"Dir::State::Lists={root}/state/lists", "-o", $"Dir::State::status={root}/status",
                    "-o", $"Dir::Cache={root}/cache", "-o", $"Dir::Etc::sourcelist={root}/sources.list", "-o", $"Dir::Etc::sourceparts={root}/etc/parts",
                    "-o", $"Dir::Etc::Parts={root}/etc/parts", "-o", $"Dir::Etc::PreferencesParts={root}/etc/preferences.d",
                    "-o", "Debug::NoLocking=true", "-o", "APT::Sandbox::User=root", "-o", "Acquire::Retries=0",
                ],
            };
        }

        public Task<CommandResult> RunAsync(params string[] command) =>
            CommandLine.RunAsync("sh", ["-c", $"cd '{Downloads}' && exec apt-get {string.Join(' ', _options.Select(o => $"'{o}'"))} {string.Join(' ', command)}"], TimeSpan.FromSeconds(60));
    }
}
