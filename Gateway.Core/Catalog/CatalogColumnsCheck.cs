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
            : (c.FileTorrentStart.Length > 0 && !Ascending(c.FileTorrentStart, c.FileTorrents.Length)) || c.FileTorrents.AsSpan().ContainsAnyExceptInRange(0, c.TorrentHashes.Length - 1) ? "a torrent reference is out of range"
            : null;
        if (problem is not null)
        {
            throw new InvalidDataException($"The catalog index '{source}' is damaged: {problem}.");
        }
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
