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

    public Task<CommandResult> RunAsync(params string[] command) =>
        CommandLine.RunAsync("sh", ["-c", $"cd '{Downloads}' && exec apt-get {string.Join(' ', _options.Select(o => $"'{o}'"))} {string.Join(' ', command)}"], TimeSpan.FromSeconds(60));
}
