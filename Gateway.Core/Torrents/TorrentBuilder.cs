using System.Buffers;
using System.Security.Cryptography;
using Gateway.Core.Bencode;

namespace Gateway.Core.Torrents;

/// <summary>
/// Builds v1 (BEP 3, SHA-1 pieces) .torrent files, streaming the content through one piece-sized buffer so
/// that files of any size hash in constant memory. v1 only: hybrid v1/v2 torrents break aria2 1.36 and
/// Transmission 3.00 (see docs/manifest.md).
/// </summary>
public static class TorrentBuilder
{
    private const int PieceHashLength = 20;

    public static async Task<BuiltTorrent> BuildAsync(TorrentSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Validate(spec);
        var total = spec.Files.Sum(f => f.Length);
        var pieceCount = (total + spec.PieceLength - 1) / spec.PieceLength;
        if (pieceCount * PieceHashLength > Array.MaxLength)
        {
            throw new ArgumentException($"{total} bytes in pieces of {spec.PieceLength} make a piece list too large; choose a larger piece length.", nameof(spec));
        }

        var pieces = new byte[pieceCount * PieceHashLength];
        await HashPiecesAsync(spec, pieces, cancellationToken).ConfigureAwait(false);

        var output = new ArrayBufferWriter<byte>(pieces.Length + 512);
        var writer = new BencodeWriter(output);
        writer.WriteStartDictionary();
        if (spec.Announce is not null)
        {
            writer.WriteKey("announce"u8);
            writer.WriteString(spec.Announce.AbsoluteUri);
        }

        if (spec.CreatedBy is not null)
        {
            writer.WriteKey("created by"u8);
            writer.WriteString(spec.CreatedBy);
        }

        if (spec.CreationDate is { } created)
        {
            writer.WriteKey("creation date"u8);
            writer.WriteInteger(created.ToUnixTimeSeconds());
        }

        writer.WriteKey("info"u8);
        var infoStart = output.WrittenCount;
        WriteInfo(writer, spec, pieces);
        var infoEnd = output.WrittenCount;
        if (spec.WebSeeds.Count > 0)
        {
            writer.WriteKey("url-list"u8);
            WriteStringList(writer, spec.WebSeeds);
        }

        writer.WriteEnd();
        var metainfo = output.WrittenSpan.ToArray();
        return new BuiltTorrent(metainfo, InfoHash.OfInfo(metainfo.AsSpan(infoStart, infoEnd - infoStart)), total, (int)pieceCount);
    }

    private static void WriteInfo(BencodeWriter writer, TorrentSpec spec, byte[] pieces)
    {
        writer.WriteStartDictionary();
        if (!spec.SingleFile)
        {
            writer.WriteKey("files"u8);
            writer.WriteStartList();
            foreach (var file in spec.Files)
            {
                writer.WriteStartDictionary();
                writer.WriteKey("length"u8);
                writer.WriteInteger(file.Length);
                writer.WriteKey("path"u8);
                WriteStringList(writer, file.PathInTorrent);
                writer.WriteEnd();
            }

            writer.WriteEnd();
        }
        else
        {
            writer.WriteKey("length"u8);
            writer.WriteInteger(spec.Files[0].Length);
        }

        writer.WriteKey("name"u8);
        writer.WriteString(spec.Name);
        writer.WriteKey("piece length"u8);
        writer.WriteInteger(spec.PieceLength);
        writer.WriteKey("pieces"u8);
        writer.WriteString(pieces);
        if (spec.Private)
        {
            writer.WriteKey("private"u8);
            writer.WriteInteger(1);
        }

        writer.WriteEnd();
    }

    private static void WriteStringList(BencodeWriter writer, IEnumerable<string> items)
    {
        writer.WriteStartList();
        foreach (var item in items)
        {
            writer.WriteString(item);
        }

        writer.WriteEnd();
    }

    private static async Task HashPiecesAsync(TorrentSpec spec, byte[] pieces, CancellationToken cancellationToken)
    {
        // Pieces run across file boundaries (BEP 3: the files are one concatenated stream).
        var buffer = ArrayPool<byte>.Shared.Rent(spec.PieceLength);
        try
        {
            var filled = 0;
            var piece = 0;
            foreach (var file in spec.Files)
            {
                var stream = new FileStream(file.SourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (stream.ConfigureAwait(false))
                {
                    var remaining = file.Length;
                    while (remaining > 0)
                    {
                        var want = (int)Math.Min(spec.PieceLength - filled, remaining);
                        var read = await stream.ReadAsync(buffer.AsMemory(filled, want), cancellationToken).ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw new IOException($"'{file.SourcePath}' is shorter than the {file.Length} bytes expected; it changed while being hashed.");
                        }

                        remaining -= read;
                        filled += read;
                        if (filled == spec.PieceLength)
                        {
                            HashPiece(buffer.AsSpan(0, filled), pieces.AsSpan(piece++ * PieceHashLength, PieceHashLength));
                            filled = 0;
                        }
                    }
                }
            }

            if (filled > 0)
            {
                HashPiece(buffer.AsSpan(0, filled), pieces.AsSpan(piece * PieceHashLength, PieceHashLength));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

#pragma warning disable CA5350 // BEP 3 defines pieces as SHA-1; integrity against volunteers comes from the catalog's SHA-256.
    private static void HashPiece(ReadOnlySpan<byte> piece, Span<byte> destination) => SHA1.HashData(piece, destination);
#pragma warning restore CA5350

    private static void Validate(TorrentSpec spec)
    {
        if (!TorrentPieceLength.IsValid(spec.PieceLength))
        {
            throw new ArgumentException($"Piece length {spec.PieceLength} must be a power of two from {TorrentPieceLength.Minimum} to {TorrentPieceLength.Maximum}.", nameof(spec));
        }

        if (!IsValidSegment(spec.Name))
        {
            throw new ArgumentException($"Torrent name '{spec.Name}' must be one non-empty path segment other than '.' or '..'.", nameof(spec));
        }

        if (spec.Files.Count == 0 || (spec.SingleFile && spec.Files.Count != 1))
        {
            throw new ArgumentException(spec.SingleFile ? "A single-file torrent has exactly one file." : "A torrent has at least one file.", nameof(spec));
        }

        foreach (var file in spec.Files)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(file.Length);
            if (!spec.SingleFile && (file.PathInTorrent.Count == 0 || !file.PathInTorrent.All(IsValidSegment)))
            {
                throw new ArgumentException($"'{string.Join('/', file.PathInTorrent)}' is not a valid path inside a torrent.", nameof(spec));
            }
        }
    }

    private static bool IsValidSegment(string? segment) =>
        !string.IsNullOrEmpty(segment) && segment is not ("." or "..") && !segment.Contains('/', StringComparison.Ordinal) && !segment.Contains('\0', StringComparison.Ordinal);
}
