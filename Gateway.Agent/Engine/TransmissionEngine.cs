using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Core.Torrents;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Engine;

/// <summary>
/// transmission-daemon as the agent's engine: one daemon per agent with its own config folder (under the
/// agent's storage), driven over its RPC at <c>/transmission/rpc</c> on 127.0.0.1 (409 first, then the
/// <c>X-Transmission-Session-Id</c> it gave). Torrents are added paused, their trackers replaced by the agent's
/// announce relay, then started, so no announce ever bypasses the relay.
/// Limitation (Transmission 3.00): it treats tracker-given peers on 127.0.0.0/8 as invalid and never dials them,
/// so on one host it fetches from the web seed and serves peers that dial it; volunteers on separate addresses
/// (hosts, or network namespaces) trade both ways.
/// </summary>
public sealed partial class TransmissionEngine(IOptions<VolunteerAgentOptions> options, AgentEndpoints endpoints, ILogger<TransmissionEngine> logger) : ITorrentEngine
{
    private const string SessionHeader = "X-Transmission-Session-Id";
    private readonly HttpClient _rpc = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly EngineProcess _process = new("transmission-daemon", logger);
    private Uri? _rpcUrl;
    private string? _session;
    private int _listenPort;

    public string Name => "transmission";

    public bool IsRunning => _process.IsRunning;

    public int? ProcessId => _process.Id;

    /// <summary>Transmission's BitTorrent listen port, once started.</summary>
    public int ListenPort => _listenPort;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        _session = null;
        var rpcPort = settings.TransmissionRpcPort > 0 ? settings.TransmissionRpcPort : EngineProcess.FreePort();
        _listenPort = settings.TransmissionListenPort > 0 ? settings.TransmissionListenPort : (_listenPort > 0 ? _listenPort : EngineProcess.FreePort());
        _rpcUrl = new Uri($"http://127.0.0.1:{rpcPort.ToString(CultureInfo.InvariantCulture)}/transmission/rpc");

        // Its own config folder: settings.json written fresh each start (the daemon keeps resume files beside it).
        var config = Path.Combine(Path.GetFullPath(settings.Storage), "transmission");
        Directory.CreateDirectory(config);
        await File.WriteAllTextAsync(Path.Combine(config, "settings.json"), Settings(settings, rpcPort, _listenPort).ToJsonString(), cancellationToken).ConfigureAwait(false);

        // Torrents are the agent's to add: forget the last run's (their data stays and is checked when added again).
        var resume = Path.Combine(config, "resume");
        var torrents = Path.Combine(config, "torrents");
        foreach (var folder in new[] { resume, torrents })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        _process.Start(
            settings.TransmissionPath,
            ["--foreground", "--config-dir", config, "--no-portmap", "--no-dht", "--no-lpd", "--no-auth", "--rpc-bind-address", "127.0.0.1"],
            "Install Transmission (Debian: apt-get install transmission-daemon) or set Volunteer:TransmissionPath.");

        await _process.WaitUntilAnswersAsync(
            async ct =>
            {
                using var session = await CallAsync("session-get", new JsonObject { ["fields"] = new JsonArray("version") }, ct).ConfigureAwait(false);
            },
            _rpcUrl,
            cancellationToken).ConfigureAwait(false);
        LogStarted(logger, _process.Id!.Value, rpcPort, _listenPort);
    }

    /// <summary>Transmission's RPC cannot add web seeds to a torrent, and it drops a web seed after failures: it keeps the torrent's own url-list.</summary>
    public bool TakesWebSeedRelay => false;

    public async Task<string> AddAsync(ReadOnlyMemory<byte> torrent, string directory, IReadOnlyList<Uri> webSeeds, CancellationToken cancellationToken)
    {
        // Paused: it must not announce to the torrent's own tracker (without the volunteer key) before the swap.
        using var added = await CallAsync(
            "torrent-add",
            new JsonObject { ["metainfo"] = Convert.ToBase64String(torrent.Span), ["download-dir"] = Path.GetFullPath(directory), ["paused"] = true },
            cancellationToken).ConfigureAwait(false);
        var arguments = added.RootElement.GetProperty("arguments");
        var item = arguments.TryGetProperty("torrent-added", out var fresh) ? fresh : arguments.GetProperty("torrent-duplicate");
        var hash = item.GetProperty("hashString").GetString()!;

        using var trackers = await CallAsync("torrent-get", new JsonObject { ["ids"] = new JsonArray(hash), ["fields"] = new JsonArray("trackers") }, cancellationToken).ConfigureAwait(false);
        var ids = trackers.RootElement.GetProperty("arguments").GetProperty("torrents")[0].GetProperty("trackers").EnumerateArray()
            .Select(t => t.GetProperty("id").GetInt32()).ToArray();
        var relay = endpoints.AnnounceRelayUrl.ToString();
        var change = new JsonObject { ["ids"] = new JsonArray(hash) };
        if (ids.Length == 0)
        {
            change["trackerAdd"] = new JsonArray(relay);
        }
        else
        {
            change["trackerReplace"] = new JsonArray(ids[0], relay);
            if (ids.Length > 1)
            {
                change["trackerRemove"] = new JsonArray([.. ids.Skip(1).Select(id => (JsonNode)id)]);
            }
        }

        using var changed = await CallAsync("torrent-set", change, cancellationToken).ConfigureAwait(false);

        // Check what is on disk first (an agent restart): fetched again only where a piece does not match.
        using var verify = await CallAsync("torrent-verify", new JsonObject { ["ids"] = new JsonArray(hash) }, cancellationToken).ConfigureAwait(false);
        using var started = await CallAsync("torrent-start-now", new JsonObject { ["ids"] = new JsonArray(hash) }, cancellationToken).ConfigureAwait(false);
        return hash;
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        using var removed = await CallAsync("torrent-remove", new JsonObject { ["ids"] = new JsonArray(id), ["delete-local-data"] = false }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<EngineSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        using var stats = await CallAsync("session-stats", null, cancellationToken).ConfigureAwait(false);
        using var list = await CallAsync(
            "torrent-get",
            new JsonObject { ["fields"] = new JsonArray("hashString", "status", "sizeWhenDone", "haveValid", "uploadedEver", "rateDownload", "rateUpload", "peersConnected", "error", "errorString") },
            cancellationToken).ConfigureAwait(false);
        var torrents = new List<EngineTorrent>();
        foreach (var item in list.RootElement.GetProperty("arguments").GetProperty("torrents").EnumerateArray())
        {
            var hash = item.GetProperty("hashString").GetString()!;
            var error = item.GetProperty("error").GetInt32();
            var status = item.GetProperty("status").GetInt32();
            torrents.Add(new EngineTorrent(
                hash,
                InfoHash.TryParse(hash, out var parsed) ? parsed : null,
                StatusName(status, error),
                item.GetProperty("sizeWhenDone").GetInt64(),

                // Only pieces checked against the torrent's hashes count: a verify in progress is not complete.
                status is 1 or 2 ? 0 : item.GetProperty("haveValid").GetInt64(),
                item.GetProperty("uploadedEver").GetInt64(),
                item.GetProperty("rateDownload").GetInt64(),
                item.GetProperty("rateUpload").GetInt64(),
                item.GetProperty("peersConnected").GetInt32(),
                error == 0 ? null : $"transmission error {error.ToString(CultureInfo.InvariantCulture)}: {item.GetProperty("errorString").GetString()}"));
        }

        var session = stats.RootElement.GetProperty("arguments");
        return new EngineSnapshot(session.GetProperty("downloadSpeed").GetInt64(), session.GetProperty("uploadSpeed").GetInt64(), torrents);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!IsRunning)
        {
            return;
        }

        // session-close announces event=stopped for every torrent, then the daemon exits.
        try
        {
            using var close = await CallAsync("session-close", null, cancellationToken).ConfigureAwait(false);
            if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false))
            {
                _process.Kill("session-close did not end it within 30 s");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or EngineRpcException or OperationCanceledException)
        {
            _process.Kill(ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _process.Dispose();
        _rpc.Dispose();
    }

    // Transmission's status numbers (0 stopped … 6 seeding) in aria2's words, which the agent watches for; a local
    // error (3: a file it could not write) is the agent's "error"; tracker warnings and errors (1, 2) are not.
    private static string StatusName(int status, int error) => error == 3 ? "error" : status switch
    {
        0 => "paused",
        1 or 2 => "checking",
        3 or 4 => "active",
        5 or 6 => "seeding",
        _ => "unknown",
    };

    private static JsonObject Settings(VolunteerAgentOptions settings, int rpcPort, int listenPort) => new()
    {
        ["rpc-enabled"] = true,
        ["rpc-bind-address"] = "127.0.0.1",
        ["rpc-port"] = rpcPort,
        ["rpc-authentication-required"] = false,
        ["rpc-whitelist-enabled"] = true,
        ["rpc-whitelist"] = "127.0.0.1",
        ["rpc-host-whitelist-enabled"] = false,
        ["peer-port"] = listenPort,
        ["peer-port-random-on-start"] = false,
        ["port-forwarding-enabled"] = false,

        // The swarm is the tracker's: no DHT, local discovery or peer exchange bringing in strangers.
        ["dht-enabled"] = false,
        ["lpd-enabled"] = false,
        ["pex-enabled"] = false,
        ["utp-enabled"] = false,
        ["download-dir"] = Path.GetFullPath(settings.Storage),
        ["incomplete-dir-enabled"] = false,

        // Files keep their names while incomplete (no ".part"): the agent finds and removes them by name.
        ["rename-partial-files"] = false,
        ["start-added-torrents"] = false,

        // Seed for good and keep every torrent active: no ratio or idle limits, no queues.
        ["ratio-limit-enabled"] = false,
        ["idle-seeding-limit-enabled"] = false,
        ["download-queue-enabled"] = false,
        ["seed-queue-enabled"] = false,
        ["queue-stalled-enabled"] = false,

        // Transmission's speed unit is the kilobyte (1000 bytes) per second.
        ["speed-limit-up-enabled"] = settings.UploadLimitBytesPerSecond > 0,
        ["speed-limit-up"] = Math.Max(1, settings.UploadLimitBytesPerSecond / 1000),
        ["speed-limit-down-enabled"] = settings.DownloadLimitBytesPerSecond > 0,
        ["speed-limit-down"] = Math.Max(1, settings.DownloadLimitBytesPerSecond / 1000),
        ["message-level"] = 1,
    };

    private async Task<JsonDocument> CallAsync(string method, JsonObject? arguments, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["method"] = method };
        if (arguments is not null)
        {
            body["arguments"] = arguments;
        }

        var text = body.ToJsonString();

        // The first call (and any after the daemon restarted its session) is answered 409 with the session id to send.
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _rpcUrl) { Content = new StringContent(text, System.Text.Encoding.UTF8, "application/json") };
            if (_session is not null)
            {
                request.Headers.TryAddWithoutValidation(SessionHeader, _session);
            }

            using var response = await _rpc.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Conflict && attempt == 0 && response.Headers.TryGetValues(SessionHeader, out var values))
            {
                _session = values.First();
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new EngineRpcException($"transmission {method}: HTTP {(int)response.StatusCode}");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            var result = document.RootElement.TryGetProperty("result", out var r) ? r.GetString() : null;
            if (result != "success")
            {
                document.Dispose();
                throw new EngineRpcException($"transmission {method}: {result ?? "no result"}");
            }

            return document;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "transmission-daemon started (pid {Pid}, RPC port {RpcPort}, BitTorrent port {ListenPort})")]
    private static partial void LogStarted(ILogger logger, int pid, int rpcPort, int listenPort);
}
