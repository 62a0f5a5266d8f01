using Microsoft.Extensions.Options;

namespace Gateway.Agent;

/// <summary>The volunteer agent (section <c>Volunteer</c>); see docs/volunteer.md.</summary>
public sealed class VolunteerAgentOptions
{
    public const string Section = "Volunteer";

    /// <summary>The tracker's announce URL without the key, e.g. <c>http://tracker.example.org:6969/announce</c>.</summary>
    public string TrackerUrl { get; set; } = string.Empty;

    /// <summary>This volunteer's key (the gateway's <c>Volunteers:N:Key</c>); announces go to <c>{TrackerUrl}/{Key}</c>.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>The origin's (or gateway's) <c>manifest.json</c> URL: the publish feed.</summary>
    public string ManifestUrl { get; set; } = string.Empty;

    /// <summary>How often the manifest is revalidated (a conditional GET: cheap when nothing changed).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The gateway's release feed (<c>http://gateway/_gateway/releases</c>, Server-Sent Events): with it the agent
    /// fetches a new manifest as soon as the gateway has it, polling only as the fallback. Empty: polling only.
    /// </summary>
    public string ReleaseFeedUrl { get; set; } = string.Empty;

    /// <summary>Repository path prefixes to mirror (whole segments, e.g. <c>pool/main</c>); empty mirrors everything.</summary>
    public List<string> Mirror { get; } = [];

    /// <summary>Folder that holds the mirror (repository paths under it) and the agent's own files.</summary>
    public string Storage { get; set; } = string.Empty;

    /// <summary>Most bytes of torrents to hold; 0 means no limit. Torrents that would pass it are not fetched.</summary>
    public long QuotaBytes { get; set; }

    /// <summary>Where customers connect (Kestrel URL), e.g. <c>http://0.0.0.0:8081</c>.</summary>
    public string Listen { get; set; } = "http://0.0.0.0:8081";

    /// <summary>The base URL the gateway sends customers to (its <c>Volunteers:N:Url</c>); shown in the status.</summary>
    public string PublicUrl { get; set; } = string.Empty;

    /// <summary>Loopback URL of the control port: the engine's announce relay, status and drain. Never public.</summary>
    public string ControlUrl { get; set; } = "http://127.0.0.1:6980";

    /// <summary>
    /// Optional listener for a remote Prometheus (<c>/metrics</c> only), e.g. <c>http://0.0.0.0:9470</c>. Empty: the
    /// metrics are served on the control port alone.
    /// </summary>
    public string MetricsListen { get; set; } = string.Empty;

    /// <summary>The BitTorrent engine: <c>aria2</c> (aria2c over JSON-RPC) or <c>transmission</c> (transmission-daemon over its RPC).</summary>
    public string Engine { get; set; } = "aria2";

    /// <summary>True when <see cref="Engine"/> names Transmission.</summary>
    public bool UsesTransmission => string.Equals(Engine, "transmission", StringComparison.OrdinalIgnoreCase);

    /// <summary>The aria2c executable.</summary>
    public string Aria2Path { get; set; } = "aria2c";

    /// <summary>aria2's JSON-RPC port on 127.0.0.1; 0 picks a free one.</summary>
    public int Aria2RpcPort { get; set; }

    /// <summary>aria2's BitTorrent listen port; 0 picks a free one.</summary>
    public int Aria2ListenPort { get; set; }

    /// <summary>The transmission-daemon executable.</summary>
    public string TransmissionPath { get; set; } = "transmission-daemon";

    /// <summary>Transmission's RPC port on 127.0.0.1; 0 picks a free one.</summary>
    public int TransmissionRpcPort { get; set; }

    /// <summary>Transmission's BitTorrent listen port; 0 picks a free one.</summary>
    public int TransmissionListenPort { get; set; }

    /// <summary>Seconds between the engine's announces; 0 follows the tracker's interval.</summary>
    public int AnnounceIntervalSeconds { get; set; }

    /// <summary>BitTorrent upload limit in bytes/s (0: none); reported to the tracker as <c>x_cap</c> when <see cref="UplinkBytesPerSecond"/> is not set.</summary>
    public long UploadLimitBytesPerSecond { get; set; }

    /// <summary>
    /// The volunteer's uplink in bytes/s, which customers and BitTorrent share (0: not known), reported to the tracker as
    /// <c>x_cap</c>. Set it when BitTorrent is limited below the link: the gateway reads <c>x_cap</c> as the whole link's
    /// capacity, and an upload limit alone would make the link look that small.
    /// </summary>
    public long UplinkBytesPerSecond { get; set; }

    /// <summary>What the agent reports as <c>x_cap</c>: the uplink when known, else the BitTorrent upload limit, else nothing.</summary>
    public long? ReportedCapacityBytesPerSecond => UplinkBytesPerSecond > 0 ? UplinkBytesPerSecond : UploadLimitBytesPerSecond > 0 ? UploadLimitBytesPerSecond : null;

    /// <summary>BitTorrent download limit in bytes/s (0: none).</summary>
    public long DownloadLimitBytesPerSecond { get; set; }

    /// <summary>Fetches of a torrent whose files fail the SHA-256 check (the first included) before the agent gives up on it.</summary>
    public int VerifyAttempts { get; set; } = 3;

    /// <summary>Wait before fetching a torrent again after a failed SHA-256 check; doubles with each attempt.</summary>
    public TimeSpan VerifyRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// aria2 only: the engine fetches the origin's web seed through the agent's relay, which forwards only ranges in
    /// the slice of the torrent the tracker assigned this agent and defers the others (docs/volunteer.md,
    /// "Web-seed slicing"). False gives the engine the origin's web seed as published.
    /// </summary>
    public bool WebSeedSlicing { get; set; } = true;

    /// <summary>How long after adding a torrent the relay waits for a slice before fetching everything (alone, or no slice from the tracker).</summary>
    public TimeSpan WebSeedSettle { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A torrent that made no progress for this long fetches every range from the origin (an owner left, or peers choke this agent).</summary>
    public TimeSpan WebSeedStall { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the agent asks an origin that stopped serving a torrent's web seed whether it serves it again (then adds the torrent again, keeping its pieces).</summary>
    public TimeSpan WebSeedOriginProbe { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause before the relay answers a deferred range (keeps the engine from spinning on it).</summary>
    public TimeSpan WebSeedDeferDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>How often the engine is asked for progress and rates.</summary>
    public TimeSpan EngineInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Engine restarts allowed within ten minutes before the agent reports itself unhealthy.</summary>
    public int EngineRestarts { get; set; } = 3;

    /// <summary>Longest a drain waits for customer transfers in flight.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The announce URL with this volunteer's key.</summary>
    public Uri KeyedAnnounceUrl => new(TrackerUrl.TrimEnd('/') + "/" + Key);

    /// <summary>The prefixes normalized: no leading or trailing '/'.</summary>
    public IReadOnlyList<string> MirrorPrefixes => [.. Mirror.Select(p => p.Trim('/')).Where(p => p.Length > 0)];
}

/// <summary>Checks <see cref="VolunteerAgentOptions"/> at start, naming the key that is wrong and what is allowed.</summary>
public sealed class VolunteerAgentOptionsValidator : IValidateOptions<VolunteerAgentOptions>
{
    private static readonly System.Buffers.SearchValues<char> KeyCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~");

    public ValidateOptionsResult Validate(string? name, VolunteerAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        RequireHttp(errors, "Volunteer:TrackerUrl", options.TrackerUrl, "the tracker's announce URL without the key, e.g. http://tracker:6969/announce");
        if (options.Key.Length is < 16 or > 128 || options.Key.AsSpan().IndexOfAnyExcept(KeyCharacters) >= 0)
        {
            errors.Add("Volunteer:Key must be this volunteer's tracker key: 16-128 letters, digits, '-', '_', '.' or '~' (the gateway's Volunteers:N:Key).");
        }

        RequireHttp(errors, "Volunteer:ManifestUrl", options.ManifestUrl, "the origin's manifest.json, e.g. http://repo.example.org/manifest.json");
        if (!string.IsNullOrEmpty(options.ReleaseFeedUrl))
        {
            RequireHttp(errors, "Volunteer:ReleaseFeedUrl", options.ReleaseFeedUrl, "the gateway's release feed, e.g. http://repo.example.org/_gateway/releases (or empty to poll only)");
        }
        RequireHttp(errors, "Volunteer:Listen", options.Listen, "the URL customers connect to, e.g. http://0.0.0.0:8081");
        RequireHttp(errors, "Volunteer:PublicUrl", options.PublicUrl, "the base URL the gateway sends customers to, e.g. http://mirror1.example.org:8081/");
        if (!string.IsNullOrEmpty(options.MetricsListen))
        {
            RequireHttp(errors, "Volunteer:MetricsListen", options.MetricsListen, "a URL for Prometheus such as http://0.0.0.0:9470, or empty");
        }

        if (RequireHttp(errors, "Volunteer:ControlUrl", options.ControlUrl, "a loopback URL such as http://127.0.0.1:6980")
            && !new Uri(options.ControlUrl).IsLoopback)
        {
            errors.Add($"Volunteer:ControlUrl '{options.ControlUrl}' must be on loopback (127.0.0.1): it drains the agent and relays announces.");
        }

        foreach (var prefix in options.Mirror)
        {
            var trimmed = prefix.Trim('/');
            if (trimmed.Length == 0 || !Gateway.Core.Paths.RequestPathNormalizer.IsNormalizedRelativePath(trimmed))
            {
                errors.Add($"Volunteer:Mirror '{prefix}' must be a repository path prefix such as pool/main (whole segments, no '.' or '..').");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Storage))
        {
            errors.Add("Volunteer:Storage is required: the folder that holds the mirror.");
        }

        if (options.QuotaBytes < 0)
        {
            errors.Add($"Volunteer:QuotaBytes {options.QuotaBytes} must be 0 (no limit) or more.");
        }

        if (!string.Equals(options.Engine, "aria2", StringComparison.OrdinalIgnoreCase) && !options.UsesTransmission)
        {
            errors.Add($"Volunteer:Engine '{options.Engine}' is not supported; use aria2 or transmission.");
        }

        if (options.Aria2RpcPort is < 0 or > 65535 || options.Aria2ListenPort is < 0 or > 65535)
        {
            errors.Add("Volunteer:Aria2RpcPort and Volunteer:Aria2ListenPort must be 0 (any free port) or a port up to 65535.");
        }

        if (options.TransmissionRpcPort is < 0 or > 65535 || options.TransmissionListenPort is < 0 or > 65535)
        {
            errors.Add("Volunteer:TransmissionRpcPort and Volunteer:TransmissionListenPort must be 0 (any free port) or a port up to 65535.");
        }

        if (options.AnnounceIntervalSeconds is < 0 or > 86400)
        {
            errors.Add($"Volunteer:AnnounceIntervalSeconds {options.AnnounceIntervalSeconds} must be 0 (the tracker's) to 86400.");
        }

        if (options.UploadLimitBytesPerSecond < 0 || options.DownloadLimitBytesPerSecond < 0)
        {
            errors.Add("Volunteer:UploadLimitBytesPerSecond and Volunteer:DownloadLimitBytesPerSecond must be 0 (no limit) or more.");
        }

        if (options.UplinkBytesPerSecond < 0 || (options.UplinkBytesPerSecond > 0 && options.UploadLimitBytesPerSecond > options.UplinkBytesPerSecond))
        {
            errors.Add($"Volunteer:UplinkBytesPerSecond {options.UplinkBytesPerSecond} must be 0 (not known) or at least Volunteer:UploadLimitBytesPerSecond {options.UploadLimitBytesPerSecond}.");
        }

        if (options.PollInterval < TimeSpan.FromMilliseconds(100) || options.EngineInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"Volunteer:PollInterval {options.PollInterval} and Volunteer:EngineInterval {options.EngineInterval} must be at least 00:00:00.1.");
        }

        if (options.VerifyAttempts < 1 || options.VerifyRetryDelay < TimeSpan.Zero)
        {
            errors.Add($"Volunteer:VerifyAttempts {options.VerifyAttempts} must be 1 or more and Volunteer:VerifyRetryDelay {options.VerifyRetryDelay} 0 or more.");
        }

        if (options.WebSeedSettle < TimeSpan.Zero || options.WebSeedStall <= TimeSpan.Zero || options.WebSeedDeferDelay < TimeSpan.Zero || options.WebSeedDeferDelay > TimeSpan.FromSeconds(1))
        {
            errors.Add($"Volunteer:WebSeedSettle {options.WebSeedSettle} must be 0 or more, Volunteer:WebSeedStall {options.WebSeedStall} positive and Volunteer:WebSeedDeferDelay {options.WebSeedDeferDelay} from 0 to 00:00:01.");
        }

        if (options.WebSeedOriginProbe <= TimeSpan.Zero)
        {
            errors.Add($"Volunteer:WebSeedOriginProbe {options.WebSeedOriginProbe} must be positive.");
        }

        if (options.EngineRestarts < 0)
        {
            errors.Add($"Volunteer:EngineRestarts {options.EngineRestarts} must be 0 or more.");
        }

        if (options.DrainTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Volunteer:DrainTimeout {options.DrainTimeout} must be positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool RequireHttp(List<string> errors, string key, string value, string example)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && string.IsNullOrEmpty(uri.Query))
        {
            return true;
        }

        errors.Add(string.IsNullOrEmpty(value) ? $"{key} is required: {example}." : $"{key} '{value}' must be an absolute http(s) URL without a query: {example}.");
        return false;
    }
}
