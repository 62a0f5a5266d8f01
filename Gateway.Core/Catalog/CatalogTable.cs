using System.IO.Hashing;
using System.Text;

namespace Gateway.Core.Catalog;

/// <summary>
/// The published files packed into a few arrays (about 90 bytes a file at Debian-pool paths, against 1.3 KB as
/// objects): paths as a folder table plus UTF-8 names, SHA-256s as 32-byte digests shared by identical content,
/// content ids as indexes, chunk hashes in a side table, and an open-addressing hash index over the paths.
/// Immutable once built; lookups allocate nothing.
/// </summary>
internal sealed class CatalogTable
{
    /// <summary>Length of one SHA-256 digest.</summary>
    public const int DigestLength = 32;

    // Above this many UTF-16 chars a lookup encodes into a rented buffer instead of the stack.
    private const int StackPathChars = 512;

    private readonly int[] _slots;

    internal CatalogTable(CatalogColumns columns, CatalogTable? previous = null)
    {
        Columns = columns;
        if (previous is { } old && SamePaths(columns, old.Columns))
        {
            _slots = old._slots;
            return;
        }

        _slots = new int[SlotCount(columns.Count)];
        Span<byte> scratch = stackalloc byte[1024];
        for (var i = 0; i < columns.Count; i++)
        {
            var length = PathLength(i);
            var path = length <= scratch.Length ? scratch[..length] : new byte[length];
            CopyPath(i, path);
            if (!TryAdd(path, i))
            {
                throw new InvalidDataException($"files[{i}] ({Encoding.UTF8.GetString(path)}): the path is listed twice.");
            }
        }
    }

    public CatalogColumns Columns { get; }

    public int Count => Columns.Count;

    /// <summary>The index of the file at <paramref name="normalizedPath"/>, or -1.</summary>
    public int IndexOf(ReadOnlySpan<char> normalizedPath)
    {
        if (Count == 0 || normalizedPath.IsEmpty)
        {
            return -1;
        }

        var max = Encoding.UTF8.GetMaxByteCount(normalizedPath.Length);
        if (normalizedPath.Length <= StackPathChars)
        {
            Span<byte> buffer = stackalloc byte[StackPathChars * 3];
            return IndexOfUtf8(buffer[..Encoding.UTF8.GetBytes(normalizedPath, buffer)]);
        }

        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        try
        {
            return IndexOfUtf8(rented.AsSpan(0, Encoding.UTF8.GetBytes(normalizedPath, rented)));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The index of the file whose UTF-8 path is <paramref name="path"/>, or -1.</summary>
    public int IndexOfUtf8(ReadOnlySpan<byte> path)
    {
        var mask = _slots.Length - 1;
        for (var slot = (int)Hash(path) & mask; ; slot = (slot + 1) & mask)
        {
            var found = _slots[slot] - 1;
            if (found < 0)
            {
                return -1;
            }

            if (PathEquals(found, path))
            {
                return found;
            }
        }
    }

    /// <summary>Bytes of file <paramref name="index"/>'s UTF-8 path.</summary>
    public int PathLength(int index)
    {
        var folder = Columns.FileFolder[index];
        var folderLength = Columns.FolderStart[folder + 1] - Columns.FolderStart[folder];
        var nameLength = Columns.NameStart[index + 1] - Columns.NameStart[index];
        return folderLength == 0 ? nameLength : folderLength + 1 + nameLength;
    }

    /// <summary>Writes file <paramref name="index"/>'s UTF-8 path into <paramref name="destination"/> (of <see cref="PathLength"/> bytes).</summary>
    public void CopyPath(int index, Span<byte> destination)
    {
        var folder = FolderBytes(index);
        var name = NameBytes(index);
        if (folder.Length > 0)
        {
            folder.CopyTo(destination);
            destination[folder.Length] = (byte)'/';
            name.CopyTo(destination[(folder.Length + 1)..]);
        }
        else
        {
            name.CopyTo(destination);
        }
    }

    public string PathOf(int index)
    {
        var length = PathLength(index);
        var bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        CopyPath(index, bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    public ReadOnlyMemory<byte> DigestOf(int index) => Columns.DigestOf(index);

    /// <summary>The content id's string: the lowercase hex digest it names, or the id as the manifest gave it.</summary>
    public string ContentIdOf(int index)
    {
        var content = Columns.FileContent is { } contents ? contents[index] : index;
        return content >= 0 ? Convert.ToHexStringLower(Columns.DigestOf(content).Span) : Columns.OtherContents[~content];
    }

    /// <summary>The digests of chunk list <paramref name="list"/> (an index into <see cref="CatalogColumns.ChunkFiles"/>), or empty for a negative one.</summary>
    public ReadOnlyMemory<byte> ChunkHashesOf(int list) => list < 0 ? ReadOnlyMemory<byte>.Empty
        : Columns.ChunkHashes.AsMemory(Columns.ChunkStart[list] * DigestLength, (Columns.ChunkStart[list + 1] - Columns.ChunkStart[list]) * DigestLength);

    /// <summary>File <paramref name="index"/> as the manifest lists it.</summary>
    public ManifestFile ToManifestFile(int index)
    {
        var entry = new CatalogEntry(this, index, null);
        var (start, torrents) = Columns.TorrentsOf(index);
        return new ManifestFile(entry.Path, entry.Size, entry.Sha256, entry.ContentId, Columns.ModifiedOf(index),
            torrents == 0 ? null : [.. Columns.FileTorrents.AsSpan(start, torrents).ToArray().Select(t => Columns.TorrentHashes[t])])
        {
            Chunks = entry.ChunkSize == 0 ? null
                : new ManifestChunks(entry.ChunkSize, [.. Enumerable.Range(0, entry.ChunkHashes.Length / DigestLength).Select(c => Convert.ToHexStringLower(entry.ChunkHashes.Span.Slice(c * DigestLength, DigestLength)))]),
        };
    }

    private ReadOnlySpan<byte> FolderBytes(int index)
    {
        var folder = Columns.FileFolder[index];
        return Columns.Folders.AsSpan(Columns.FolderStart[folder], Columns.FolderStart[folder + 1] - Columns.FolderStart[folder]);
    }

    private ReadOnlySpan<byte> NameBytes(int index) =>
        Columns.Names.AsSpan(Columns.NameStart[index], Columns.NameStart[index + 1] - Columns.NameStart[index]);

    private bool PathEquals(int index, ReadOnlySpan<byte> path)
    {
        var folder = FolderBytes(index);
        var name = NameBytes(index);
        return folder.Length == 0
            ? path.SequenceEqual(name)
            : path.Length == folder.Length + 1 + name.Length && path[folder.Length] == '/' && path.StartsWith(folder) && path[(folder.Length + 1)..].SequenceEqual(name);
    }

    private bool TryAdd(ReadOnlySpan<byte> path, int index)
    {
        var mask = _slots.Length - 1;
        for (var slot = (int)Hash(path) & mask; ; slot = (slot + 1) & mask)
        {
            var found = _slots[slot] - 1;
            if (found < 0)
            {
                _slots[slot] = index + 1;
                return true;
            }

            if (PathEquals(found, path))
            {
                return false;
            }
        }
    }

    // The hash index depends on the paths alone; a reload that shares every path column shares it too.
    private static bool SamePaths(CatalogColumns a, CatalogColumns b) =>
        a.Count == b.Count && ReferenceEquals(a.Folders, b.Folders) && ReferenceEquals(a.FolderStart, b.FolderStart)
        && ReferenceEquals(a.FileFolder, b.FileFolder) && ReferenceEquals(a.Names, b.Names) && ReferenceEquals(a.NameStart, b.NameStart);

    private static ulong Hash(ReadOnlySpan<byte> path) => XxHash3.HashToUInt64(path);

    // At most three quarters full (usually about half), so a miss ends after a few probes of one cache line.
    private static int SlotCount(int count) => (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(count + count / 3 + 1)));
}
