namespace Gateway.Core.Catalog;

/// <summary>Checks that columns read from an index fit together, so a lookup can never index outside them.</summary>
internal static class CatalogColumnsCheck
{
    public static void Validate(CatalogColumns c, string source)
    {
        var n = c.Count;
        var folders = c.FolderStart.Length - 1;
        var problem =
            n < 0 || c.FileFolder.Length != n || c.NameStart.Length != n + 1 || c.Sizes.Length != n || (c.Modified.Length != n && c.Modified.Length != 0)
                || c.Digests.Length != (n + CatalogColumns.DigestPageFiles - 1) / CatalogColumns.DigestPageFiles
                || c.Digests.Where((page, p) => page.Length != Math.Min(CatalogColumns.DigestPageFiles, n - (p * CatalogColumns.DigestPageFiles)) * CatalogTable.DigestLength).Any() || (c.FileContent is { } fc && fc.Length != n) || (c.FileTorrentStart.Length != n + 1 && !(c.FileTorrentStart.Length == 0 && c.FileTorrents.Length == 0))
                ? "its columns disagree on the number of files"
            : folders < 1 || !Ascending(c.FolderStart, c.Folders.Length) || !Ascending(c.NameStart, c.Names.Length) ? "a path offset is out of order"
            : c.FileFolder.AsSpan().ContainsAnyExceptInRange(0, folders - 1) ? "a file names a folder that does not exist"
            : c.FileContent is { } contents && contents.Any(x => x >= n || (x < 0 && ~x >= c.OtherContents.Length)) ? "a content id is out of range"
            : c.ChunkSizes.Length != c.ChunkFiles.Length || c.ChunkStart.Length != c.ChunkFiles.Length + 1 || !Ascending(c.ChunkStart, c.ChunkHashes.Length / CatalogTable.DigestLength)
                || c.ChunkFiles.AsSpan().ContainsAnyExceptInRange(0, n - 1) || c.ChunkSizes.Any(s => s < 1) ? "the chunk hashes are out of order"
            : BadPath(c) is { } path ? $"the path '{path}' is not a relative '/'-separated path without '.', '..' or empty segments"
            : (c.FileTorrentStart.Length > 0 && !Ascending(c.FileTorrentStart, c.FileTorrents.Length)) || c.FileTorrents.AsSpan().ContainsAnyExceptInRange(0, c.TorrentHashes.Length - 1) ? "a torrent reference is out of range"
            : null;
        if (problem is not null)
        {
            throw new InvalidDataException($"The catalog index '{source}' is damaged: {problem}.");
        }
    }

    // Every folder once and every name as one segment: a checksum only proves the file is whole, not that
    // whoever wrote it kept to the manifest's rules.
    private static string? BadPath(CatalogColumns c)
    {
        if (c.FolderStart[1] != 0)
        {
            return "(the top folder is not empty)";
        }

        for (var f = 1; f < c.FolderStart.Length - 1; f++)
        {
            var folder = c.Folders.AsSpan(c.FolderStart[f], c.FolderStart[f + 1] - c.FolderStart[f]);
            if (!Paths.RequestPathNormalizer.IsNormalizedRelativePath(folder))
            {
                return System.Text.Encoding.UTF8.GetString(folder);
            }
        }

        for (var i = 0; i < c.Count; i++)
        {
            var name = c.Names.AsSpan(c.NameStart[i], c.NameStart[i + 1] - c.NameStart[i]);
            if (name.Contains((byte)'/') || !Paths.RequestPathNormalizer.IsNormalizedRelativePath(name))
            {
                return System.Text.Encoding.UTF8.GetString(name);
            }
        }

        return null;
    }

    private static bool Ascending(int[] offsets, int end)
    {
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != end)
        {
            return false;
        }

        for (var i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1])
            {
                return false;
            }
        }

        return true;
    }
}
