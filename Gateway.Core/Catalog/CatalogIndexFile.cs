using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Gateway.Core.Catalog;

/// <summary>
/// The binary index <c>publish</c> writes beside <c>manifest.json</c> (<c>manifest.index</c>): the packed catalog's
/// columns as they are in memory, so loading is reading arrays, not parsing. Layout (little-endian): the magic
/// <c>GWCATIDX</c>, the index format, the length and a hash of the first 64 KiB of the manifest it was made from,
/// then each column as a length and its bytes, and last an XxHash64 of everything before it. See docs/manifest.md.
/// </summary>
public static class CatalogIndexFile
{
    /// <summary>The index format this build reads and writes.</summary>
    public const int CurrentFormat = 1;

    private const int HeadBytes = 1 << 16;

    private static ReadOnlySpan<byte> Magic => "GWCATIDX"u8;

    /// <summary>Where the index of <paramref name="manifestPath"/> lives: <c>manifest.json</c> → <c>manifest.index</c>.</summary>
    public static string PathFor(string manifestPath) => Path.ChangeExtension(manifestPath, ".index");

    /// <summary>Writes the index of <paramref name="catalog"/>, made from the manifest file at <paramref name="manifestPath"/>, to <paramref name="indexPath"/> (atomically).</summary>
    public static async Task WriteAsync(RepositoryCatalog catalog, string manifestPath, string indexPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var (length, head) = await StampAsync(manifestPath, cancellationToken).ConfigureAwait(false);
        var temporary = indexPath + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: false))
        {
            var writer = new SectionWriter(stream);
            writer.Raw(Magic);
            writer.Int(CurrentFormat);
            writer.Long(length);
            writer.Long((long)head);
            var c = catalog.Table.Columns;
            writer.Int(c.Count);
            writer.Bytes(Encoding.UTF8.GetBytes(c.Generated.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
            writer.Bytes(c.Folders);
            writer.Array(c.FolderStart);
            writer.Array(c.FileFolder);
            writer.Bytes(c.Names);
            writer.Array(c.NameStart);
            writer.Array(c.Sizes);
            writer.Array(c.Modified);
            writer.Int(c.Digests.Sum(page => page.Length));
            foreach (var page in c.Digests)
            {
                writer.Raw(page);
            }

            writer.Array(c.FileContent ?? []);
            writer.Bytes(JsonSerializer.SerializeToUtf8Bytes(c.OtherContents, CatalogIndexJsonContext.Default.StringArray));
            writer.Array(c.ChunkFiles);
            writer.Array(c.ChunkSizes);
            writer.Array(c.ChunkStart);
            writer.Bytes(c.ChunkHashes);
            writer.Array(c.FileTorrentStart);
            writer.Array(c.FileTorrents);
            writer.Bytes(JsonSerializer.SerializeToUtf8Bytes(c.TorrentHashes, CatalogIndexJsonContext.Default.StringArray));
            writer.Bytes(JsonSerializer.SerializeToUtf8Bytes(c.Torrents, CatalogIndexJsonContext.Default.IReadOnlyListManifestTorrent));
            writer.Finish();
        }

        File.Move(temporary, indexPath, overwrite: true);
    }

    /// <summary>
    /// The catalog in the index at <paramref name="indexPath"/>, or null when it was made from another version of
    /// <paramref name="manifestPath"/> (then the JSON is the truth). A damaged index, or one of another format, is refused.
    /// Columns equal to those of <paramref name="previous"/> are not allocated again but shared with it (and with
    /// unchanged paths, so is its path index): a reload costs the columns that changed, not a second catalog.
    /// Without <paramref name="keepModified"/> the files' modification times are checked but not kept.
    /// </summary>
    public static async Task<RepositoryCatalog?> LoadAsync(string indexPath, string manifestPath, string version, CancellationToken cancellationToken, RepositoryCatalog? previous = null, bool keepModified = true)
    {
        var (length, head) = await StampAsync(manifestPath, cancellationToken).ConfigureAwait(false);
        await using var stream = new FileStream(indexPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 20, useAsync: false);
        try
        {
            var reader = new SectionReader(stream, indexPath);
            if (!reader.Raw(Magic.Length).SequenceEqual(Magic))
            {
                throw new InvalidDataException($"The catalog index '{indexPath}' is not a catalog index (no GWCATIDX magic).");
            }

            if (reader.Int() is var format && format != CurrentFormat)
            {
                throw new InvalidDataException($"The catalog index '{indexPath}' has format {format}; this gateway reads format {CurrentFormat}. Run 'Gateway publish' again to rewrite it.");
            }

            if (reader.Long() != length || (ulong)reader.Long() != head)
            {
                return null;
            }

            var count = reader.Int();
            var old = previous?.Table.Columns;
            var columns = new CatalogColumns
            {
                Count = count,
                Generated = DateTimeOffset.Parse(Encoding.UTF8.GetString(reader.Bytes()), System.Globalization.CultureInfo.InvariantCulture),
                Folders = reader.Array(old?.Folders),
                FolderStart = reader.Array(old?.FolderStart),
                FileFolder = reader.Array(old?.FileFolder),
                Names = reader.Array(old?.Names),
                NameStart = reader.Array(old?.NameStart),
                Sizes = reader.Array(old?.Sizes),
                Modified = keepModified ? reader.Array(old?.Modified) : reader.Skip<long>(),
                Digests = reader.Pages(old?.Digests, CatalogColumns.DigestPageFiles * CatalogTable.DigestLength),
                FileContent = reader.Array(old?.FileContent) is { Length: > 0 } contents ? contents : null,
                OtherContents = JsonSerializer.Deserialize(reader.Bytes(), CatalogIndexJsonContext.Default.StringArray) ?? [],
                ChunkFiles = reader.Array(old?.ChunkFiles),
                ChunkSizes = reader.Array(old?.ChunkSizes),
                ChunkStart = reader.Array(old?.ChunkStart),
                ChunkHashes = reader.Array(old?.ChunkHashes),
                FileTorrentStart = reader.Array(old?.FileTorrentStart),
                FileTorrents = reader.Array(old?.FileTorrents),
                TorrentHashes = JsonSerializer.Deserialize(reader.Bytes(), CatalogIndexJsonContext.Default.StringArray) ?? [],
                Torrents = JsonSerializer.Deserialize(reader.Bytes(), CatalogIndexJsonContext.Default.IReadOnlyListManifestTorrent) ?? [],
            };
            reader.Finish();
            CatalogColumnsCheck.Validate(columns, indexPath);
            return new RepositoryCatalog(new CatalogTable(columns, previous?.Table), version);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"The catalog index '{indexPath}' is truncated.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The catalog index '{indexPath}' is damaged: {ex.Message}", ex);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"The catalog index '{indexPath}' is damaged: {ex.Message}", ex);
        }
    }

    // Which manifest an index belongs to: publish writes the index just before it renames the manifest in, and
    // the manifest's first 64 KiB hold its "generated" time to the microsecond.
    private static async Task<(long Length, ulong Head)> StampAsync(string manifestPath, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(manifestPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 12, useAsync: true);
        var head = new byte[(int)Math.Min(HeadBytes, stream.Length)];
        await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        return (stream.Length, XxHash64.HashToUInt64(head));
    }

    private sealed class SectionWriter(Stream stream)
    {
        private readonly XxHash64 _hash = new();

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            _hash.Append(bytes);
            stream.Write(bytes);
        }

        public void Int(int value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
            Raw(bytes);
        }

        public void Long(long value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            Raw(bytes);
        }

        public void Bytes(byte[] bytes)
        {
            Int(bytes.Length);
            Raw(bytes);
        }

        public void Array<T>(T[] values)
            where T : unmanaged
        {
            Int(values.Length);
            Raw(MemoryMarshal.AsBytes(values.AsSpan()));
        }

        public void Finish()
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, _hash.GetCurrentHashAsUInt64());
            stream.Write(bytes);
        }
    }

    private sealed class SectionReader(Stream stream, string path)
    {
        private readonly XxHash64 _hash = new();
        private readonly long _length = stream.Length;

        public byte[] Raw(int count)
        {
            var bytes = new byte[count];
            Fill(bytes);
            return bytes;
        }

        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Raw(4));

        public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Raw(8));

        public byte[] Bytes() => Array<byte>();

        public T[] Array<T>()
            where T : unmanaged => Array<T>(null);

        /// <summary>The next column; <paramref name="same"/> itself when the column holds exactly its values.</summary>
        public T[] Array<T>(T[]? same)
            where T : unmanaged
        {
            var count = Int();
            // A damaged length must not make a huge allocation: nothing can be longer than the rest of the file.
            if (count < 0 || (long)count * Marshal.SizeOf<T>() > _length - stream.Position)
            {
                throw new InvalidDataException($"The catalog index '{path}' is truncated or damaged (a column of {count} items does not fit in the file).");
            }

            if (same is null || same.Length != count)
            {
                var values = new T[count];
                Fill(MemoryMarshal.AsBytes(values.AsSpan()));
                return values;
            }

            // Compared a block at a time through a small buffer: an unchanged column never exists twice.
            var known = MemoryMarshal.AsBytes(same.AsSpan());
            var block = new byte[Math.Min(known.Length, 1 << 20)];
            for (var at = 0; at < known.Length; at += block.Length)
            {
                var part = block.AsSpan(0, Math.Min(block.Length, known.Length - at));
                Fill(part);
                if (!part.SequenceEqual(known.Slice(at, part.Length)))
                {
                    var changed = new T[count];
                    var bytes = MemoryMarshal.AsBytes(changed.AsSpan());
                    known[..at].CopyTo(bytes);
                    part.CopyTo(bytes[at..]);
                    Fill(bytes[(at + part.Length)..]);
                    return changed;
                }
            }

            return same;
        }

        /// <summary>A column of bytes cut into pages of <paramref name="pageLength"/>; a page equal to the one at its place in <paramref name="same"/> is that one.</summary>
        public byte[][] Pages(byte[][]? same, int pageLength)
        {
            var count = Int();
            if (count < 0 || count > _length - stream.Position)
            {
                throw new InvalidDataException($"The catalog index '{path}' is truncated or damaged (a column of {count} bytes does not fit in the file).");
            }

            var pages = new byte[(count + pageLength - 1) / pageLength][];
            var block = new byte[pageLength];
            for (var p = 0; p < pages.Length; p++)
            {
                var part = block.AsSpan(0, Math.Min(pageLength, count - (p * pageLength)));
                Fill(part);
                pages[p] = same is not null && p < same.Length && part.SequenceEqual(same[p]) ? same[p] : part.ToArray();
            }

            return pages;
        }

        /// <summary>Reads past a column (it still counts for the checksum) and returns an empty one.</summary>
        public T[] Skip<T>()
            where T : unmanaged
        {
            var count = Int();
            var left = (long)count * Marshal.SizeOf<T>();
            if (count < 0 || left > _length - stream.Position)
            {
                throw new InvalidDataException($"The catalog index '{path}' is truncated or damaged (a column of {count} items does not fit in the file).");
            }

            var block = new byte[(int)Math.Min(left, 1 << 20)];
            for (; left > 0; left -= block.Length)
            {
                Fill(block.AsSpan(0, (int)Math.Min(block.Length, left)));
            }

            return [];
        }

        public void Finish()
        {
            Span<byte> stored = stackalloc byte[8];
            stream.ReadExactly(stored);
            if (BinaryPrimitives.ReadUInt64LittleEndian(stored) != _hash.GetCurrentHashAsUInt64() || stream.Position != _length)
            {
                throw new InvalidDataException($"The catalog index '{path}' is damaged: its checksum does not match.");
            }
        }

        private void Fill(Span<byte> bytes)
        {
            stream.ReadExactly(bytes);
            _hash.Append(bytes);
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<ManifestTorrent>))]
internal sealed partial class CatalogIndexJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
