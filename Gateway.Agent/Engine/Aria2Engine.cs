using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Core.Torrents;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Engine;

/// <summary>
/// aria2c as the agent's engine: one process per agent, driven over its JSON-RPC on 127.0.0.1. Every torrent's
/// own trackers are replaced by the agent's announce relay (<c>bt-exclude-tracker=*</c> + <c>bt-tracker</c>), so
/// each announce the engine sends passes through the agent and picks up its load.
/// </summary>
public sealed partial class Aria2Engine(IOptions<VolunteerAgentOptions> options, AgentEndpoints endpoints, ILogger<Aria2Engine> logger) : ITorrentEngine
{
    private readonly HttpClient _rpc = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private readonly EngineProcess _process = new("aria2c", logger);
    private Uri? _rpcUrl;
    private int _listenPort;

    public string Name => "aria2";

    public bool IsRunning => _process.IsRunning;

    /// <summary>aria2's BitTorrent listen port, once started.</summary>
    public int ListenPort => _listenPort;

    public int? ProcessId => _process.Id;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var rpcPort = settings.Aria2RpcPort > 0 ? settings.Aria2RpcPort : EngineProcess.FreePort();
        _listenPort = settings.Aria2ListenPort > 0 ? settings.Aria2ListenPort : (_listenPort > 0 ? _listenPort : EngineProcess.FreePort());
        _rpcUrl = new Uri($"http://127.0.0.1:{rpcPort.ToString(CultureInfo.InvariantCulture)}/jsonrpc");
        _process.Start(settings.Aria2Path, Arguments(settings, rpcPort, _listenPort), "Install aria2 (Debian: apt-get install aria2) or set Volunteer:Aria2Path.");

        await _process.WaitUntilAnswersAsync(
            async ct =>
            {
                using var version = await CallAsync("aria2.getVersion", [], ct).ConfigureAwait(false);
            },
            _rpcUrl,
            cancellationToken).ConfigureAwait(false);
        LogStarted(logger, _process.Id!.Value, rpcPort, _listenPort);
    }

    public bool TakesWebSeedRelay => true;

    public async Task<string> AddAsync(ReadOnlyMemory<byte> torrent, string directory, IReadOnlyList<Uri> webSeeds, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var perTorrent = new Dictionary<string, string>
        {
            ["dir"] = directory,
            ["check-integrity"] = "true",
            ["bt-exclude-tracker"] = "*",
            ["bt-tracker"] = endpoints.AnnounceRelayUrl.ToString(),
            ["seed-ratio"] = "0.0",
        };
        if (webSeeds.Count > 0)
        {
            // The web-seed relay defers ranges outside the agent's slice (307, and 504 every 16th time): retry them
            // without end (max-tries 0 counts per URI), 1 s after a 504 (retry-wait 0 would drop the URI at the first).
            perTorrent["max-tries"] = "0";
            perTorrent["retry-wait"] = "1";
        }

        if (settings.AnnounceIntervalSeconds > 0)
        {
            perTorrent["bt-tracker-interval"] = settings.AnnounceIntervalSeconds.ToString(CultureInfo.InvariantCulture);
        }

        using var result = await CallAsync(
            "aria2.addTorrent",
            [Convert.ToBase64String(torrent.Span), webSeeds.Select(u => u.AbsoluteUri).ToArray(), perTorrent],
            cancellationToken).ConfigureAwait(false);
        return result.RootElement.GetProperty("result").GetString()!;
    }

    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            using var removed = await CallAsync("aria2.remove", [id], cancellationToken).ConfigureAwait(false);
        }
        catch (EngineRpcException)
        {
            // Already stopped (an error or a finished check): nothing to stop, only the result to drop.
        }

        try
        {
            using var dropped = await CallAsync("aria2.removeDownloadResult", [id], cancellationToken).ConfigureAwait(false);
        }
        catch (EngineRpcException)
        {
            // aria2 drops the result itself once the removal finished; either way it is gone.
        }
    }

    public async Task<EngineSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        string[] keys = ["gid", "status", "infoHash", "totalLength", "completedLength", "uploadLength", "downloadSpeed", "uploadSpeed", "connections", "errorCode", "errorMessage"];
        using var global = await CallAsync("aria2.getGlobalStat", [], cancellationToken).ConfigureAwait(false);
        using var active = await CallAsync("aria2.tellActive", [keys], cancellationToken).ConfigureAwait(false);
        using var waiting = await CallAsync("aria2.tellWaiting", [0, 10000, keys], cancellationToken).ConfigureAwait(false);
        using var stopped = await CallAsync("aria2.tellStopped", [0, 10000, keys], cancellationToken).ConfigureAwait(false);
        var torrents = new List<EngineTorrent>();
        foreach (var list in new[] { active, waiting, stopped })
        {
            foreach (var item in list.RootElement.GetProperty("result").EnumerateArray())
            {
                torrents.Add(new EngineTorrent(
                    item.GetProperty("gid").GetString()!,
                    item.TryGetProperty("infoHash", out var hash) && InfoHash.TryParse(hash.GetString(), out var parsed) ? parsed : null,
                    item.GetProperty("status").GetString()!,
                    Number(item, "totalLength"),
                    Number(item, "completedLength"),
                    Number(item, "uploadLength"),
                    Number(item, "downloadSpeed"),
                    Number(item, "uploadSpeed"),
                    (int)Number(item, "connections"),
                    item.TryGetProperty("errorCode", out var code) ? $"aria2 error {code.GetString()}: {(item.TryGetProperty("errorMessage", out var error) ? error.GetString() : null)}" : null));
            }
        }

        var stat = global.RootElement.GetProperty("result");
        return new EngineSnapshot(Number(stat, "downloadSpeed"), Number(stat, "uploadSpeed"), EngineSnapshot.LatestPerId(torrents));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!IsRunning)
        {
            return;
        }

        // aria2.shutdown announces event=stopped for every torrent before it exits; SIGTERM would not.
        try
        {
            using var shutdown = await CallAsync("aria2.shutdown", [], cancellationToken).ConfigureAwait(false);
            if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false))
            {
                _process.Kill("aria2.shutdown did not end it within 30 s");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or EngineRpcException or OperationCanceledException)
        {
            // Ctrl-C in a terminal reaches aria2 too (same process group): it is then already shutting down
            // gracefully by itself, and its RPC is gone. Give it the time to announce, then make sure.
            if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(15), CancellationToken.None).ConfigureAwait(false))
            {
                _process.Kill(ex.Message);
            }
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

    private static IEnumerable<string> Arguments(VolunteerAgentOptions settings, int rpcPort, int listenPort)
    {
        yield return "--enable-rpc=true";
        yield return "--rpc-listen-all=false";
        yield return "--rpc-listen-port=" + rpcPort.ToString(CultureInfo.InvariantCulture);
        // The chosen port first, then a few after it: aria2 takes the first it can bind (a free port can be taken in between).
        var last = Math.Min(65535, listenPort + 32);
        yield return string.Create(CultureInfo.InvariantCulture, $"--listen-port={listenPort},{Math.Min(65535, listenPort + 1)}-{last}");

        // The swarm is the tracker's: no DHT, local discovery or peer exchange bringing in strangers.
        yield return "--enable-dht=false";
        yield return "--enable-dht6=false";
        yield return "--bt-enable-lpd=false";
        yield return "--enable-peer-exchange=false";
        yield return "--disable-ipv6=true";
        yield return "--file-allocation=none";
        yield return "--check-integrity=true";

        // Seed for good: seed-ratio 0.0 with no seed-time never stops; every torrent stays active (not queued).
        // Web-seed segments at random places, 1 MiB at a time: agents that start together fetch different
        // pieces from the origin and trade them, instead of all fetching the same first pieces.
        yield return "--stream-piece-selector=random";
        yield return "--min-split-size=1M";
        yield return "--seed-ratio=0.0";
        yield return "--max-concurrent-downloads=10000";
        yield return "--bt-max-open-files=1000";
        yield return "--auto-file-renaming=false";
        yield return "--allow-overwrite=true";
        yield return "--max-overall-upload-limit=" + settings.UploadLimitBytesPerSecond.ToString(CultureInfo.InvariantCulture);
        yield return "--max-overall-download-limit=" + settings.DownloadLimitBytesPerSecond.ToString(CultureInfo.InvariantCulture);
        yield return "--summary-interval=0";
        yield return "--console-log-level=warn";

        // If the agent dies without stopping it, aria2 follows instead of seeding unsupervised.
        yield return "--stop-with-process=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    }

    private async Task<JsonDocument> CallAsync(string method, object[] parameters, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WriteString("id", "agent");
            writer.WriteString("method", method);
            writer.WriteStartArray("params");
            writer.WriteStringValue("token:" + _secret);
            foreach (var parameter in parameters)
            {
                WriteValue(writer, parameter);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new("application/json");
        using var response = await _rpc.PostAsync(_rpcUrl, content, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (document.RootElement.TryGetProperty("error", out var error))
        {
            var message = error.TryGetProperty("message", out var m) ? m.GetString() : error.ToString();
            document.Dispose();
            throw new EngineRpcException($"aria2 {method}: {message}");
        }

        return document;
    }

    private static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case string s:
                writer.WriteStringValue(s);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case IEnumerable<KeyValuePair<string, string>> map:
                writer.WriteStartObject();
                foreach (var (k, v) in map)
                {
                    writer.WriteString(k, v);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable<string> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Cannot send a {value.GetType().Name} to aria2.", nameof(value));
        }
    }

    private static long Number(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    [LoggerMessage(Level = LogLevel.Information, Message = "aria2c started (pid {Pid}, RPC port {RpcPort}, BitTorrent port {ListenPort})")]
    private static partial void LogStarted(ILogger logger, int pid, int rpcPort, int listenPort);
}
