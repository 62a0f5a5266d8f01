using Gateway.Core.Catalog;

namespace Gateway.Agent.Mirror;

/// <summary>
/// Which published torrents this agent mirrors: those whose every file lies under one of the configured
/// prefixes (whole segments), at the torrent's folder or at one of its copies, up to the disk quota.
/// A torrent that straddles a prefix is left out whole: a partial mirror never receives a file outside its prefixes.
/// </summary>
public sealed class MirrorScope(IReadOnlyList<string> prefixes, long quotaBytes)
{
    /// <summary>The torrents to mirror, in manifest order, each with the folder it goes into.</summary>
    public IReadOnlyList<(ManifestTorrent Torrent, string Placement)> Plan(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var plan = new List<(ManifestTorrent, string)>();
        long bytes = 0;
        foreach (var torrent in manifest.Torrents ?? [])
        {
            var placement = new[] { torrent.Folder }.Concat(torrent.Copies ?? [])
                .FirstOrDefault(folder => torrent.Files.All(path => Covers(ManifestTorrent.MovePath(path, torrent.Folder, folder))));
            if (placement is null || (quotaBytes > 0 && bytes + torrent.Size > quotaBytes))
            {
                continue;
            }

            bytes += torrent.Size;
            plan.Add((torrent, placement));
        }

        return plan;
    }

    /// <summary>True when <paramref name="path"/> is under a prefix (or every path is, with none configured).</summary>
    public bool Covers(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return prefixes.Count == 0 || prefixes.Any(prefix =>
            path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'));
    }
}
