using System.Collections.Frozen;
using Gateway.Agent.Engine;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;

namespace Gateway.Agent.Mirror;

/// <summary>Where a mirrored torrent is in its life.</summary>
public enum TorrentPhase
{
    /// <summary>In the engine, not complete yet (or being checked after a restart).</summary>
    Fetching,

    /// <summary>Complete in the engine; its files' SHA-256 are being checked against the catalog.</summary>
    Verifying,

    /// <summary>Every file matched the catalog: served to customers and announced as seeding.</summary>
    Verified,

    /// <summary>A file did not match the catalog: never served, never announced as complete; fetched again a bounded number of times.</summary>
    Failed,
}

/// <summary>One torrent this agent mirrors.</summary>
public sealed class MirroredTorrent(ManifestTorrent torrent, InfoHash infoHash, string placement)
{
    public ManifestTorrent Torrent { get; } = torrent;

    public InfoHash InfoHash { get; } = infoHash;

    /// <summary>The repository folder it is fetched into (its own folder, or a copy's when only the copy is in scope).</summary>
    public string Placement { get; } = placement;

    /// <summary>The engine's id for it; null when not (or no longer) in the engine.</summary>
    public string? EngineId { get; set; }

    public TorrentPhase Phase { get; set; } = TorrentPhase.Fetching;

    /// <summary>The engine's last report on it.</summary>
    public EngineTorrent? Engine { get; set; }

    /// <summary>The SHA-256 check in progress or done, started once per completion.</summary>
    public Task<bool>? Verification { get; set; }

    /// <summary>Its web-seed slicing when the engine fetches the web seed through the agent's relay; null otherwise.</summary>
    public Gateway.Agent.WebSeed.WebSeedSlicing? WebSeed { get; set; }

    /// <summary>The last announce relayed for it (what the engine said, before the relay's changes).</summary>
    public RelayedAnnounce? LastAnnounce { get; set; }

    public string? Problem { get; set; }

    /// <summary>After an engine error or a failed SHA-256 check, when the torrent may be added again.</summary>
    public DateTimeOffset RetryAt { get; set; }

    /// <summary>SHA-256 checks that failed so far; the torrent is fetched again until <see cref="VolunteerAgentOptions.VerifyAttempts"/>.</summary>
    public int FailedVerifications { get; set; }

    /// <summary>The repository paths whose SHA-256 did not match at the last check (deleted before fetching again).</summary>
    public IReadOnlyList<string> MismatchedFiles { get; set; } = [];

    /// <summary>Each file's repository path at <see cref="Placement"/>, with the path it has in the manifest.</summary>
    public IEnumerable<(string Local, string Published)> Files() =>
        Torrent.Files.Select(path => (ManifestTorrent.MovePath(path, Torrent.Folder, Placement), path));
}

/// <summary>An announce the engine sent through the relay.</summary>
public sealed record RelayedAnnounce(DateTimeOffset At, string Event, long Downloaded, long Uploaded, long Left, long ForwardedLeft);

/// <summary>
/// What the agent knows, shared by the feed follower, the engine monitor, the relay and the file server: the
/// catalog, the mirrored torrents and the content it may serve. Writers take the lock; readers of the served
/// set read one immutable snapshot.
/// </summary>
public sealed class MirrorState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<InfoHash, MirroredTorrent> _torrents = [];
    private volatile FrozenSet<string> _served = FrozenSet<string>.Empty;
    private volatile RepositoryCatalog _catalog = RepositoryCatalog.Empty;

    public RepositoryCatalog Catalog
    {
        get => _catalog;
        set => _catalog = value;
    }

    /// <summary>True once a manifest has been loaded.</summary>
    public bool HasCatalog { get; set; }

    /// <summary>The engine's last global report.</summary>
    public EngineSnapshot Engine { get; set; } = EngineSnapshot.Empty;

    public bool EngineRunning { get; set; }

    public int EngineRestarts { get; set; }

    /// <summary>False when the engine died more often than allowed: the agent then answers 503 on /healthz.</summary>
    public bool Healthy { get; set; } = true;

    /// <summary>A drain began: no new customers, the engine stops, transfers in flight finish.</summary>
    public bool Draining { get; set; }

    /// <summary>SHA-256s of the verified content this agent serves.</summary>
    public FrozenSet<string> Served => _served;

    public MirroredTorrent[] Torrents()
    {
        lock (_lock)
        {
            return [.. _torrents.Values];
        }
    }

    public MirroredTorrent? Find(InfoHash infoHash)
    {
        lock (_lock)
        {
            return _torrents.GetValueOrDefault(infoHash);
        }
    }

    public void Add(MirroredTorrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        lock (_lock)
        {
            _torrents[torrent.InfoHash] = torrent;
        }
    }

    public void Remove(InfoHash infoHash)
    {
        lock (_lock)
        {
            _torrents.Remove(infoHash);
        }
    }

    /// <summary>Recomputes the served set from the verified torrents; returns it.</summary>
    public FrozenSet<string> RefreshServed()
    {
        lock (_lock)
        {
            var catalog = _catalog;
            _served = _torrents.Values
                .Where(t => t.Phase == TorrentPhase.Verified)
                .SelectMany(t => t.Torrent.Files)
                .Select(path => catalog.Find(path)?.Sha256)
                .OfType<string>()
                .ToFrozenSet(StringComparer.Ordinal);
            return _served;
        }
    }
}
