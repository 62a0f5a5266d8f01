using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Gateway.Agent.Mirror;
using Gateway.Agent.Serving;

namespace Gateway.Agent.Status;

/// <summary>What <c>/status</c> answers and <c>volunteer status</c> prints.</summary>
public sealed record AgentStatus(
    string PublicUrl,
    bool Healthy,
    bool Draining,
    string? CatalogVersion,
    int CatalogFiles,
    EngineStatus Engine,
    CustomerStatus Customers,
    int ServedContents,
    IReadOnlyList<TorrentStatus> Torrents)
{
    /// <summary>A table for a terminal.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        var state = Draining ? "draining" : Healthy ? "healthy" : "UNHEALTHY";
        text.Append(CultureInfo.InvariantCulture, $"volunteer {PublicUrl}  {state}  catalog {CatalogVersion ?? "(none yet)"} ({CatalogFiles} files)\n");
        text.Append(CultureInfo.InvariantCulture, $"engine {Engine.Name} {(Engine.Running ? "running" : "STOPPED")}, restarts {Engine.Restarts}, down {Rate(Engine.DownloadBytesPerSecond)}, up {Rate(Engine.UploadBytesPerSecond)}, {Engine.Connections} peers\n");
        text.Append(CultureInfo.InvariantCulture, $"customers: {Customers.Active} active, {Customers.Served} served, {Customers.Refused} refused; serving {ServedContents} contents\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{"torrent",-12} {"phase",-9} {"progress",8} {"size",10} {"peers",5} {"down",10} {"up",10}  name\n");
        foreach (var t in Torrents)
        {
            text.Append(CultureInfo.InvariantCulture, $"{t.InfoHash[..10],-12} {t.Phase,-9} {t.Progress,8:P1} {Bytes(t.TotalBytes),10} {t.Peers,5} {Rate(t.DownloadBytesPerSecond),10} {Rate(t.UploadBytesPerSecond),10}  {t.Placement}{(t.Placement.Length > 0 ? "/" : string.Empty)}{t.Name}{(t.Problem is null ? string.Empty : "  ! " + t.Problem)}{(t.WebSeed is { } w ? $"  web seed: {w.Members?.ToString(CultureInfo.InvariantCulture) ?? "no"} members, {Bytes(w.ForwardedBytes)} from the origin, {w.Deferred} deferred ({w.ForwardedBy}){(w.OriginGone is null ? string.Empty : "; origin gone: " + w.OriginGone)}" : string.Empty)}\n");
        }

        return text.ToString();
    }

    private static string Rate(long bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 30 => (bytes / (double)(1 << 30)).ToString("F1", CultureInfo.InvariantCulture) + "G",
        >= 1 << 20 => (bytes / (double)(1 << 20)).ToString("F1", CultureInfo.InvariantCulture) + "M",
        >= 1 << 10 => (bytes / (double)(1 << 10)).ToString("F1", CultureInfo.InvariantCulture) + "K",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>The engine part of <see cref="AgentStatus"/>.</summary>
public sealed record EngineStatus(string Name, bool Running, int Restarts, long DownloadBytesPerSecond, long UploadBytesPerSecond, int Connections);

/// <summary>The customer part of <see cref="AgentStatus"/>.</summary>
public sealed record CustomerStatus(int Active, long Served, long Refused);

/// <summary>One mirrored torrent in <see cref="AgentStatus"/>.</summary>
public sealed record TorrentStatus(
    string InfoHash,
    string Name,
    string Placement,
    string Phase,
    double Progress,
    long CompletedBytes,
    long TotalBytes,
    int Peers,
    long DownloadBytesPerSecond,
    long UploadBytesPerSecond,
    string? Problem,
    RelayedAnnounce? LastAnnounce,
    WebSeedStatus? WebSeed = null);

/// <summary>A torrent's web-seed slicing in <see cref="AgentStatus"/>: the slice the tracker gave, and what the relay forwarded and deferred.</summary>
public sealed record WebSeedStatus(int? Members, long ForwardedBytes, long Deferred, string ForwardedBy, string? OriginGone = null);

/// <summary>Builds <see cref="AgentStatus"/> from the agent's state.</summary>
public sealed class AgentStatusReporter(MirrorState state, CustomerTransfers transfers, Gateway.Agent.Engine.ITorrentEngine engine, Microsoft.Extensions.Options.IOptions<VolunteerAgentOptions> options)
{
    public AgentStatus Current()
    {
        var snapshot = state.Engine;
        var torrents = state.Torrents()
            .OrderBy(t => t.Placement, StringComparer.Ordinal).ThenBy(t => t.Torrent.Name, StringComparer.Ordinal)
            .Select(t => new TorrentStatus(
                t.InfoHash.ToString(),
                t.Torrent.Name,
                t.Placement,
                t.Phase.ToString(),
                t.Engine is { TotalLength: > 0 } e ? (double)e.CompletedLength / e.TotalLength : 0,
                t.Engine?.CompletedLength ?? 0,
                t.Torrent.Size,
                t.Engine?.Connections ?? 0,
                t.Engine?.DownloadBytesPerSecond ?? 0,
                t.Engine?.UploadBytesPerSecond ?? 0,
                t.Problem,
                t.LastAnnounce,
                t.WebSeed is { } w ? new WebSeedStatus(w.Slice?.Members.Count, w.ForwardedBytes, w.Deferred, string.Join(", ", w.ForwardedByReason.Select(r => r.Key + " " + r.Value.ToString(CultureInfo.InvariantCulture))), w.Origin.GoneAt is { } gone ? $"since {gone:O}, {w.Origin.Why}" : null) : null))
            .ToList();
        return new AgentStatus(
            options.Value.PublicUrl,
            state.Healthy,
            state.Draining,
            state.HasCatalog ? state.Catalog.Version : null,
            state.Catalog.Count,
            new EngineStatus(engine.Name, engine.IsRunning, state.EngineRestarts, snapshot.DownloadBytesPerSecond, snapshot.UploadBytesPerSecond, snapshot.Connections),
            new CustomerStatus(transfers.Active, transfers.Served, transfers.Refused),
            state.Served.Count,
            torrents);
    }
}

[JsonSerializable(typeof(AgentStatus))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class AgentStatusJsonContext : JsonSerializerContext;
