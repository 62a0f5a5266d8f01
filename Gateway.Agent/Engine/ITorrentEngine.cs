using Gateway.Core.Torrents;

namespace Gateway.Agent.Engine;

/// <summary>
/// The BitTorrent engine an agent drives (<see cref="Aria2Engine"/> or <see cref="TransmissionEngine"/>): it
/// fetches and seeds torrents into folders, announcing only to the agent's announce relay.
/// </summary>
public interface ITorrentEngine : IAsyncDisposable
{
    /// <summary>A short name for logs and the status page.</summary>
    string Name { get; }

    /// <summary>False once the engine process has exited (crashed, killed, or stopped).</summary>
    bool IsRunning { get; }

    /// <summary>The engine's process id once started (tests stop it by PID to play a crash).</summary>
    int? ProcessId { get; }

    /// <summary>Starts the engine (again, after it died); every torrent must then be added again.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Adds a .torrent to fetch into <paramref name="directory"/> and seed for good; files already there are checked,
    /// not fetched again. <paramref name="webSeeds"/> are BEP 19 web seeds besides the torrent's own <c>url-list</c>.
    /// </summary>
    Task<string> AddAsync(ReadOnlyMemory<byte> torrent, string directory, IReadOnlyList<Uri> webSeeds, CancellationToken cancellationToken);

    /// <summary>True when the engine takes extra web seeds and retries deferred ranges (aria2: web-seed slicing works with it).</summary>
    bool TakesWebSeedRelay { get; }

    /// <summary>Stops and forgets a torrent (the engine announces <c>event=stopped</c>); its files stay.</summary>
    Task RemoveAsync(string id, CancellationToken cancellationToken);

    /// <summary>Rates and per-torrent progress now.</summary>
    Task<EngineSnapshot> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Stops the engine gracefully: it announces <c>event=stopped</c> for every torrent first.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>One torrent as the engine sees it.</summary>
public sealed record EngineTorrent(
    string Id,
    InfoHash? InfoHash,
    string Status,
    long TotalLength,
    long CompletedLength,
    long UploadedLength,
    long DownloadBytesPerSecond,
    long UploadBytesPerSecond,
    int Connections,
    string? Error)
{
    /// <summary>Every byte is on disk and checked against the torrent's piece hashes.</summary>
    public bool IsComplete => TotalLength > 0 && CompletedLength == TotalLength;
}

/// <summary>The engine's global rates and its torrents.</summary>
public sealed record EngineSnapshot(long DownloadBytesPerSecond, long UploadBytesPerSecond, IReadOnlyList<EngineTorrent> Torrents)
{
    public static EngineSnapshot Empty { get; } = new(0, 0, []);

    public int Connections => Torrents.Sum(t => t.Connections);

    /// <summary>
    /// Each download once, as last seen. An engine listed by several calls (aria2: active, waiting, stopped) shows a
    /// download that moved between the calls twice; kept twice it crashed the agent (a duplicate key while watching
    /// the engine, seen in the real experiment when a sync batch completed) and counted its connections twice.
    /// </summary>
    public static IReadOnlyList<EngineTorrent> LatestPerId(IEnumerable<EngineTorrent> seen)
    {
        ArgumentNullException.ThrowIfNull(seen);
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        var torrents = new List<EngineTorrent>();
        foreach (var torrent in seen)
        {
            if (byId.TryGetValue(torrent.Id, out var at))
            {
                torrents[at] = torrent;
                continue;
            }

            byId[torrent.Id] = torrents.Count;
            torrents.Add(torrent);
        }

        return torrents;
    }
}

/// <summary>The engine answered an RPC call with an error (or not at all in the way its protocol says).</summary>
public sealed class EngineRpcException(string message) : Exception(message);
