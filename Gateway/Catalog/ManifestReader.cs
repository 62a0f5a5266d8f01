using System.Text.Json;

namespace Gateway.Catalog;

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
            if (file?.Path is null || !RequestPaths.RequestPathNormalizer.IsNormalizedRelativePath(file.Path))
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

    internal static bool IsLowerHexSha256(string? value) =>
        value is { Length: 64 } && value.AsSpan().IndexOfAnyExcept(LowerHex) < 0;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");
}
