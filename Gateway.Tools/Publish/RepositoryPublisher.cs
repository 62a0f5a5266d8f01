using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Core.Catalog;
using Gateway.Core.Paths;

namespace Gateway.Tools.Publish;

/// <summary>What a publish run did, for the operator.</summary>
public sealed record PublishResult(int Files, int Hashed, int Reused, long Bytes, IReadOnlyList<string> Skipped, int Torrents = 0, int TorrentsBuilt = 0);

/// <summary>
/// Scans a repository folder and writes its manifest: streamed SHA-256 per file, and files whose size and
/// write time match the previous manifest keep their hash (publishing a mirror of millions of files must
/// not re-read terabytes). Then writes the v1 torrents of the files (see <see cref="TorrentPublisher"/>).
/// </summary>
public sealed class RepositoryPublisher(TimeProvider time, TorrentPublishOptions? torrentOptions = null)
{
    private readonly TorrentPublishOptions _torrentOptions = Validated(torrentOptions ?? new TorrentPublishOptions());

    /// <summary>How often a progress line is written while hashing (a large tree takes minutes).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Files larger than this get per-chunk SHA-256 of this size (proxy mode verifies them chunk by chunk).</summary>
    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>1 MiB: the gateway holds one chunk per proxied download in memory while it verifies it.</summary>
    public const int DefaultChunkSize = 1 << 20;

    public async Task<PublishResult> PublishAsync(string repositoryFolder, string manifestPath, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var root = new DirectoryInfo(repositoryFolder);
        if (!root.Exists)
        {
            throw new DirectoryNotFoundException($"The repository folder '{root.FullName}' does not exist.");
        }

        var manifestFull = Path.GetFullPath(manifestPath);
        var indexFull = CatalogIndexFile.PathFor(manifestFull);
        // The previous catalog stays packed (its index when it matches): looking a file up costs no object per file.
        var previous = await ReadPreviousAsync(manifestFull, cancellationToken).ConfigureAwait(false);
        var torrentPublisher = new TorrentPublisher(_torrentOptions);
        var skipped = new List<string>();
        var candidates = new List<(string Relative, FileInfo Info)>();
        foreach (var info in root.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            if (info.FullName == manifestFull || info.FullName == manifestFull + ".tmp" || info.FullName == indexFull || info.FullName == indexFull + ".tmp" || info.LinkTarget is not null)
            {
                continue;
            }

            var relative = Path.GetRelativePath(root.FullName, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (torrentPublisher.IsOwnFile(relative))
            {
                continue;
            }

            if (!RequestPathNormalizer.IsNormalizedRelativePath(relative))
            {
                skipped.Add(relative);
                continue;
            }

            candidates.Add((relative, info));
        }

        candidates.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        var totalBytes = candidates.Sum(c => c.Info.Length);
        var files = new List<ManifestFile>(candidates.Count);
        var hashed = 0;
        long doneBytes = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        foreach (var (relative, info) in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var modified = new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeMilliseconds();
            if (previous?.Find(relative) is { } known && known.Size == info.Length && known.Modified == modified
                && (info.Length <= ChunkSize ? known.ChunkSize == 0 : known.ChunkSize == ChunkSize))
            {
                files.Add(known.ToManifestFile() with { Torrents = null });
            }
            else
            {
                var (sha, chunks) = await HashAsync(info, ChunkSize, cancellationToken).ConfigureAwait(false);
                files.Add(new ManifestFile(relative, info.Length, sha, sha, modified) { Chunks = chunks });
                hashed++;
            }

            doneBytes += info.Length;
            if (clock.Elapsed - lastReport >= ProgressInterval)
            {
                lastReport = clock.Elapsed;
                await progress.WriteLineAsync($"publish: {files.Count}/{candidates.Count} files, {doneBytes / 1048576.0:F1}/{totalBytes / 1048576.0:F1} MiB ({hashed} hashed)").ConfigureAwait(false);
            }
        }

        IReadOnlyList<ManifestFile> published = files;
        IReadOnlyList<ManifestTorrent>? torrents = null;
        var torrentsBuilt = 0;
        if (_torrentOptions.Enabled)
        {
            var result = await torrentPublisher.PublishAsync(root.FullName, files, previous?.Manifest, cancellationToken).ConfigureAwait(false);
            (published, torrents, torrentsBuilt) = (result.Files, result.Torrents, result.Built);
            await progress.WriteLineAsync($"publish: {result.Torrents.Count} torrents ({result.Built} built, {result.Reused} unchanged, {result.Removed} removed) in {_torrentOptions.Folder}/").ConfigureAwait(false);
        }

        var manifest = new Manifest(Manifest.CurrentFormat, time.GetUtcNow(), published, torrents);
        await WriteAtomicallyAsync(manifest, manifestFull, cancellationToken).ConfigureAwait(false);
        foreach (var name in skipped)
        {
            await progress.WriteLineAsync($"publish: skipped '{name}': its name cannot be a URL path (control character, backslash or '.' segment)").ConfigureAwait(false);
        }

        return new PublishResult(files.Count, hashed, files.Count - hashed, totalBytes, skipped, torrents?.Count ?? 0, torrentsBuilt);
    }

    /// <summary>The file's SHA-256 and, when it is larger than one chunk, each chunk's, in one read.</summary>
    private static async Task<(string Sha256, ManifestChunks? Chunks)> HashAsync(FileInfo info, int chunkSize, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        if (info.Length <= chunkSize)
        {
            return (Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false)), null);
        }

        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            var chunks = new List<string>((int)((info.Length + chunkSize - 1) / chunkSize));
            int read;
            while ((read = await stream.ReadAtLeastAsync(buffer.AsMemory(0, chunkSize), chunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false)) > 0)
            {
                whole.AppendData(buffer, 0, read);
                chunks.Add(Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, read))));
            }

            return (Convert.ToHexStringLower(whole.GetHashAndReset()), new ManifestChunks(chunkSize, chunks));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static TorrentPublishOptions Validated(TorrentPublishOptions options)
    {
        options.Validate();
        return options;
    }

    private static async Task<RepositoryCatalog?> ReadPreviousAsync(string manifestPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(manifestPath))
        {
            return null;
        }

        var index = CatalogIndexFile.PathFor(manifestPath);
        try
        {
            if (File.Exists(index) && await CatalogIndexFile.LoadAsync(index, manifestPath, "previous", cancellationToken).ConfigureAwait(false) is { } indexed)
            {
                return indexed;
            }
        }
        catch (InvalidDataException)
        {
            // A damaged index only means reading the JSON instead; this publish writes a new one.
        }

        try
        {
            await using var stream = File.OpenRead(manifestPath);
            return await ManifestReader.LoadAsync(stream, "previous", cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            // A damaged previous manifest only costs re-hashing; it must not stop a publish.
            return null;
        }
    }

    private static async Task WriteAtomicallyAsync(Manifest manifest, string manifestPath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(manifestPath)!);
        var temporary = manifestPath + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, ManifestJsonContext.Default.Manifest, cancellationToken).ConfigureAwait(false);
        }

        // The index goes in first: a gateway that sees the new manifest finds its index (one that sees the index
        // with the old manifest finds they do not match and reads the JSON).
        await CatalogIndexFile.WriteAsync(new RepositoryCatalog(manifest, "publish"), temporary, CatalogIndexFile.PathFor(manifestPath), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, manifestPath, overwrite: true);
    }
}
