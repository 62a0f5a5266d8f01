namespace Gateway.Tests.Infrastructure;

/// <summary>Debian's real apt-get with its own state folders (-o Dir options), so the machine's apt is untouched.</summary>
public sealed class AptRoot
{
    private string[] _options = [];

    public string Downloads { get; private init; } = string.Empty;

    /// <summary>An apt root for one repository; with <paramref name="proxy"/>, apt fetches through that HTTP proxy.</summary>
    public static AptRoot Create(string parent, string repositoryUrl, Uri? proxy = null)
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
                .. proxy is null ? Array.Empty<string>() : ["-o", $"Acquire::http::Proxy={proxy}"],
            ],
        };
    }

    /// <summary>Runs <c>apt-get update</c> and <c>apt-get download</c> of the packages; asserts both succeed and each .deb equals the origin's.</summary>
    public async Task UpdateAndDownloadAsync(TestRepository repository, IReadOnlyList<string> debs)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var update = await RunAsync("update");
        Assert.True(update.ExitCode == 0, update.Stdout + update.Stderr);
        Assert.DoesNotContain("Err:", update.Stdout, StringComparison.Ordinal);
        var download = await RunAsync(["download", .. debs.Select(d => Path.GetFileName(d).Split('_')[0])]);
        Assert.True(download.ExitCode == 0, download.Stdout + download.Stderr);
        foreach (var deb in debs)
        {
            var fetched = Path.Combine(Downloads, Path.GetFileName(deb));
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(repository.Read(deb)), System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(fetched)));
        }
    }

    public Task<CommandResult> RunAsync(params string[] command) =>
        CommandLine.RunAsync("sh", ["-c", $"cd '{Downloads}' && exec apt-get {string.Join(' ', _options.Select(o => $"'{o}'"))} {string.Join(' ', command)}"], TimeSpan.FromSeconds(60));
}
