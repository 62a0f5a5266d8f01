namespace Gateway.Core.Catalog;

/// <summary>
/// Checks a catalog's torrents: each well formed, and every reference between a file and a torrent holding in
/// both directions (volunteers and the tracker rely on them). Torrents are optional: absent with <c>--torrents off</c>.
/// </summary>
internal static class CatalogTorrentLinks
{
    public static void Validate(CatalogTable table)
    {
        var columns = table.Columns;
        var ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var t = 0; t < columns.TorrentHashes.Length; t++)
        {
            ordinals[columns.TorrentHashes[t]] = t;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var confirmed = new int[columns.Count];
        for (var i = 0; i < columns.Torrents.Count; i++)
        {
            var torrent = columns.Torrents[i];
            CheckShape(torrent, i, seen);
            var ordinal = ordinals.GetValueOrDefault(torrent.InfoHash, -1);
            foreach (var path in torrent.AllPaths())
            {
                var file = table.IndexOf(path);
                if (file < 0 || ordinal < 0 || columns.TorrentsOf(file) is var (start, count) && Array.IndexOf(columns.FileTorrents, ordinal, start, count) < 0)
                {
                    throw new InvalidDataException($"torrent {torrent.InfoHash}: file '{path}' is not in files[] or does not list this torrent.");
                }

                confirmed[file]++;
            }
        }

        // Every link a torrent names was found on its file above, so a file that lists more links than its torrents confirmed names a torrent that does not contain it.
        for (var file = 0; file < columns.Count; file++)
        {
            var (start, count) = columns.TorrentsOf(file);
            if (count != confirmed[file])
            {
                var hash = Enumerable.Range(start, count)
                    .Select(k => columns.TorrentHashes[columns.FileTorrents[k]])
                    .FirstOrDefault(h => !columns.Torrents.Any(t => t.InfoHash == h && t.AllPaths().Contains(table.PathOf(file), StringComparer.Ordinal)));
                throw new InvalidDataException($"files ({table.PathOf(file)}): torrent {hash ?? "(listed twice)"} is not in torrents[] or does not contain this file.");
            }
        }
    }

    private static void CheckShape(ManifestTorrent? torrent, int i, HashSet<string> seen)
    {
        string Where() => $"torrents[{i}] ({torrent?.InfoHash ?? "no infoHash"})";
        if (torrent?.InfoHash is not { Length: 40 } hash || hash.AsSpan().IndexOfAnyExcept(LowerHex) >= 0)
        {
            throw new InvalidDataException($"{Where()}: infoHash must be 40 lowercase hex digits.");
        }

        if (!seen.Add(hash))
        {
            throw new InvalidDataException($"{Where()}: the info hash is listed twice.");
        }

        if (torrent.Torrent is null || !Gateway.Core.Paths.RequestPathNormalizer.IsNormalizedRelativePath(torrent.Torrent))
        {
            throw new InvalidDataException($"{Where()}: torrent must be the repository-relative path of the .torrent file.");
        }

        if (string.IsNullOrEmpty(torrent.Name) || torrent.Name.Contains('/', StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{Where()}: name must be one non-empty path segment.");
        }

        if (torrent.Folder is null || (torrent.Folder.Length > 0 && !Gateway.Core.Paths.RequestPathNormalizer.IsNormalizedRelativePath(torrent.Folder)))
        {
            throw new InvalidDataException($"{Where()}: folder must be a repository-relative folder, or \"\" for the top.");
        }

        if (!Gateway.Core.Torrents.TorrentPieceLength.IsValid(torrent.PieceLength))
        {
            throw new InvalidDataException($"{Where()}: pieceLength must be a power of two from {Gateway.Core.Torrents.TorrentPieceLength.Minimum} to {Gateway.Core.Torrents.TorrentPieceLength.Maximum}.");
        }

        if (torrent.Files is not { Count: > 0 } || (torrent.SingleFile && torrent.Files.Count != 1))
        {
            throw new InvalidDataException($"{Where()}: files must list the torrent's files (exactly one for a single-file torrent).");
        }

        var prefix = torrent.Folder.Length == 0 ? torrent.Name : torrent.Folder + "/" + torrent.Name;
        if (torrent.SingleFile ? torrent.Files[0] != prefix : !torrent.Files.All(f => f?.StartsWith(prefix + "/", StringComparison.Ordinal) == true))
        {
            throw new InvalidDataException($"{Where()}: every file must lie at folder/name ('{prefix}').");
        }

        foreach (var copy in torrent.Copies ?? [])
        {
            if (copy is null || copy == torrent.Folder || (copy.Length > 0 && !Gateway.Core.Paths.RequestPathNormalizer.IsNormalizedRelativePath(copy)))
            {
                throw new InvalidDataException($"{Where()}: copies must be other repository-relative folders.");
            }
        }
    }

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
}
