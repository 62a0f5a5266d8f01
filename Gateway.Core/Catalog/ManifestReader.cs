using System.Text.Json;

namespace Gateway.Core.Catalog;

/// <summary>Parses and checks a manifest, with errors that say which entry is wrong.</summary>
public static class ManifestReader
{
    public static async Task<Manifest> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        Manifest? manifest;
        try
        {
            manifest = await JsonSerializer.DeserializeAsync(stream, ManifestJsonContext.Default.Manifest, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The manifest is not valid JSON: {ex.Message}", ex);
        }

        if (manifest is null)
        {
            throw new InvalidDataException("The manifest is empty.");
        }

        Validate(manifest);
        return manifest;
    }

    public static void Validate(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Format != Manifest.CurrentFormat)
        {
            throw new InvalidDataException($"The manifest has format {manifest.Format}; this gateway reads format {Manifest.CurrentFormat}.");
        }

        if (manifest.Files is null)
        {
            throw new InvalidDataException("The manifest has no \"files\" array.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < manifest.Files.Count; i++)
        {
            var file = manifest.Files[i];
            string Where() => $"files[{i}] ({file?.Path ?? "no path"})";
            if (file?.Path is null || !Gateway.Core.Paths.RequestPathNormalizer.IsNormalizedRelativePath(file.Path))
            {
                throw new InvalidDataException($"{Where()}: the path must be a relative '/'-separated path without '.', '..' or empty segments.");
            }

            if (!seen.Add(file.Path))
            {
                throw new InvalidDataException($"{Where()}: the path is listed twice.");
            }

            if (file.Size < 0)
            {
                throw new InvalidDataException($"{Where()}: size must not be negative.");
            }

            if (!IsLowerHexSha256(file.Sha256))
            {
                throw new InvalidDataException($"{Where()}: sha256 must be 64 lowercase hex digits.");
            }

            if (string.IsNullOrEmpty(file.Content))
            {
                throw new InvalidDataException($"{Where()}: content id is missing.");
            }

            if (file.Chunks is { } chunks && ChunkProblem(file.Size, chunks) is { } problem)
            {
                throw new InvalidDataException($"{Where()}: chunks: {problem}");
            }
        }

        ValidateTorrents(manifest);
    }

    // Torrents are optional (absent when publish ran with --torrents off), but when present every reference
    // between a file and a torrent must hold in both directions: volunteers and the tracker rely on them.
    private static void ValidateTorrents(Manifest manifest)
    {
        var containing = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (var i = 0; i < (manifest.Torrents?.Count ?? 0); i++)
        {
            var torrent = manifest.Torrents![i];
            string Where() => $"torrents[{i}] ({torrent?.InfoHash ?? "no infoHash"})";
            if (torrent?.InfoHash is not { Length: 40 } hash || hash.AsSpan().IndexOfAnyExcept(LowerHex) >= 0)
            {
                throw new InvalidDataException($"{Where()}: infoHash must be 40 lowercase hex digits.");
            }

            if (containing.ContainsKey(hash))
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
            if (torrent.SingleFile ? torrent.Files[0] != prefix : !torrent.Files.All(f => f.StartsWith(prefix + "/", StringComparison.Ordinal)))
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

            containing[hash] = new HashSet<string>(torrent.AllPaths(), StringComparer.Ordinal);
        }

        var files = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var (hash, paths) in containing)
        {
            foreach (var path in paths)
            {
                if (!files.TryGetValue(path, out var file) || file.Torrents?.Contains(hash, StringComparer.Ordinal) != true)
                {
                    throw new InvalidDataException($"torrent {hash}: file '{path}' is not in files[] or does not list this torrent.");
                }
            }
        }

        foreach (var file in manifest.Files)
        {
            foreach (var hash in file.Torrents ?? [])
            {
                if (!containing.TryGetValue(hash, out var paths) || !paths.Contains(file.Path))
                {
                    throw new InvalidDataException($"files ({file.Path}): torrent {hash} is not in torrents[] or does not contain this file.");
                }
            }
        }
    }

    private static string? ChunkProblem(long size, ManifestChunks chunks)
    {
        if (chunks.Size < 1 || chunks.Sha256 is null)
        {
            return "size must be at least 1 and sha256 a list.";
        }

        var expected = (size + chunks.Size - 1) / chunks.Size;
        if (chunks.Sha256.Count != expected)
        {
            return $"{chunks.Sha256.Count} hashes for {expected} chunks of {chunks.Size} bytes.";
        }

        return chunks.Sha256.All(IsLowerHexSha256) ? null : "every hash must be 64 lowercase hex digits.";
    }

    public static bool IsLowerHexSha256(string? value) =>
        value is { Length: 64 } && value.AsSpan().IndexOfAnyExcept(LowerHex) < 0;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
}
