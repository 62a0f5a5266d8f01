using System.Text.RegularExpressions;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;

namespace Gateway.Tools.Publish;

/// <summary>What the torrent step of a publish produced.</summary>
public sealed record TorrentPublishResult(IReadOnlyList<ManifestFile> Files, IReadOnlyList<ManifestTorrent> Torrents, int Built, int Reused, int Removed);

/// <summary>
/// Writes the v1 .torrent files of a publish into the repository and links files and torrents both ways.
/// A torrent whose files, piece length, flags and URLs are unchanged since the previous manifest, and whose
/// .torrent is still on disk, is kept as it is: a republish re-reads only what changed.
/// </summary>
public sealed partial class TorrentPublisher(TorrentPublishOptions options)
{
    private const string CreatedBy = "Gateway publish";

    /// <summary>Plans, reuses or builds the torrents of <paramref name="files"/> and returns the files linked to them.</summary>
    public async Task<TorrentPublishResult> PublishAsync(string repositoryFolder, IReadOnlyList<ManifestFile> files, Manifest? previous, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var root = Path.GetFullPath(repositoryFolder);
        var previousFiles = previous?.Files.ToDictionary(f => f.Path, StringComparer.Ordinal) ?? [];
        var previousTorrents = new Dictionary<string, ManifestTorrent>(StringComparer.Ordinal);
        foreach (var torrent in previous?.Torrents ?? [])
        {
            // Every location of a previous torrent can be reused, each seen as if it were the first.
            foreach (var folder in (torrent.Copies ?? []).Prepend(torrent.Folder))
            {
                var moved = torrent with { Folder = folder, Files = [.. torrent.Files.Select(p => ManifestTorrent.MovePath(p, torrent.Folder, folder))], Copies = null };
                previousTorrents.TryAdd(LayoutKey(moved.Folder, moved.Name, moved.Files), moved);
            }
        }

        var torrents = new List<ManifestTorrent>();
        var byHash = new Dictionary<string, (int Index, List<string> Copies)>(StringComparer.Ordinal);
        var built = 0;
        var reused = 0;
        foreach (var plan in TorrentPlanner.Plan(files, options))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var wanted = Describe(plan);
            ManifestTorrent torrent;
            byte[]? metainfo = null;
            if (previousTorrents.TryGetValue(LayoutKey(plan.Folder, plan.Name, wanted.Files), out var known)
                && known == wanted with { InfoHash = known.InfoHash, Torrent = known.Torrent, Files = known.Files }
                && plan.Files.All(f => previousFiles.TryGetValue(f.Path, out var old) && old.Sha256 == f.Sha256 && old.Size == f.Size)
                && File.Exists(Path.Combine(root, known.Torrent)))
            {
                torrent = known;
                reused++;
            }
            else
            {
                (torrent, metainfo) = await BuildAsync(root, plan, wanted, cancellationToken).ConfigureAwait(false);
                built++;
            }

            // Same name, layout and bytes elsewhere give the same info hash: one swarm, listed once with its copies.
            if (byHash.TryGetValue(torrent.InfoHash, out var first))
            {
                first.Copies.Add(torrent.Folder);
                continue;
            }

            if (metainfo is not null)
            {
                await WriteAtomicallyAsync(Path.Combine(root, torrent.Torrent), metainfo, cancellationToken).ConfigureAwait(false);
            }

            byHash[torrent.InfoHash] = (torrents.Count, []);
            torrents.Add(torrent);
        }

        foreach (var (index, copies) in byHash.Values.Where(v => v.Copies.Count > 0))
        {
            torrents[index] = torrents[index] with { Copies = copies };
        }

        var removed = RemoveStale(root, torrents);
        var byFile = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var torrent in torrents)
        {
            foreach (var path in torrent.AllPaths())
            {
                if (!byFile.TryGetValue(path, out var list))
                {
                    byFile[path] = list = [];
                }

                list.Add(torrent.InfoHash);
            }
        }

        var linked = files.Select(f => f with { Torrents = byFile.TryGetValue(f.Path, out var hashes) ? hashes : null }).ToList();
        return new TorrentPublishResult(linked, torrents, built, reused, removed);
    }

    /// <summary>True for the .torrent files this publisher writes (so the scan leaves them out of the catalog).</summary>
    public bool IsOwnFile(string relativePath) =>
        relativePath.StartsWith(options.Folder + "/", StringComparison.Ordinal)
        && TorrentFileName().IsMatch(relativePath.AsSpan(options.Folder.Length + 1));

    private ManifestTorrent Describe(PlannedTorrent plan)
    {
        var size = plan.Size;
        return new ManifestTorrent(
            InfoHash: string.Empty,
            plan.Name,
            plan.Folder,
            plan.SingleFile,
            Torrent: string.Empty,
            options.PieceLength ?? TorrentPieceLength.For(size),
            size,
            options.Private,
            options.Announce?.AbsoluteUri,
            WebSeedFor(plan),
            [.. plan.Files.Select(f => f.Path)]);
    }

    private async Task<(ManifestTorrent Torrent, byte[] Metainfo)> BuildAsync(string root, PlannedTorrent plan, ManifestTorrent wanted, CancellationToken cancellationToken)
    {
        var spec = new TorrentSpec
        {
            Name = plan.Name,
            SingleFile = plan.SingleFile,
            Files = [.. plan.Files.Select(f => new TorrentContentFile(
                Path.Combine(root, f.Path),
                plan.SingleFile ? [] : RelativeSegments(plan, f.Path),
                f.Size))],
            PieceLength = wanted.PieceLength,
            Announce = options.Announce,
            WebSeeds = wanted.WebSeed is null ? [] : [wanted.WebSeed],
            Private = options.Private,
            CreatedBy = CreatedBy,
        };
        var torrent = await TorrentBuilder.BuildAsync(spec, cancellationToken).ConfigureAwait(false);
        return (wanted with { InfoHash = torrent.InfoHash.ToString(), Torrent = options.Folder + "/" + torrent.InfoHash + ".torrent" }, torrent.Metainfo);
    }

    private static async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    private int RemoveStale(string root, List<ManifestTorrent> torrents)
    {
        var folder = Path.Combine(root, options.Folder);
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var keep = torrents.Select(t => Path.GetFileName(t.Torrent)).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(file);
            if (TorrentFileName().IsMatch(name) && !keep.Contains(name))
            {
                File.Delete(file);
                removed++;
            }
        }

        return removed;
    }

    // BEP 19: a single-file torrent's url-list entry is the file's own URL; a multi-file torrent's is the
    // folder that holds its name, ending in '/', and the client appends name/path (aria2 does the same).
    private string? WebSeedFor(PlannedTorrent plan)
    {
        if (options.WebSeed is null)
        {
            return null;
        }

        var baseUrl = options.WebSeed.AbsoluteUri.EndsWith('/') ? options.WebSeed.AbsoluteUri : options.WebSeed.AbsoluteUri + "/";
        return plan.SingleFile
            ? baseUrl + Escape(plan.Files[0].Path)
            : baseUrl + (plan.Folder.Length == 0 ? string.Empty : Escape(plan.Folder) + "/");
    }

    private static string Escape(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string[] RelativeSegments(PlannedTorrent plan, string path)
    {
        var prefix = plan.Folder.Length == 0 ? plan.Name + "/" : plan.Folder + "/" + plan.Name + "/";
        return path[prefix.Length..].Split('/');
    }

    private static string LayoutKey(string folder, string name, IEnumerable<string> files) =>
        folder + "\n" + name + "\n" + string.Join('\n', files);

    [GeneratedRegex("^[0-9a-f]{40}\\.torrent$", RegexOptions.CultureInvariant)]
    private static partial Regex TorrentFileName();
}
