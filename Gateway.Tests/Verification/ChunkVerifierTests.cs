using System.Security.Cryptography;
using CsCheck;
using Gateway.Core.Content;

namespace Gateway.Tests.Verification;

public sealed class ChunkVerifierTests
{
    /// <summary>How a stream may differ from the published file.</summary>
    private enum Change
    {
        None,
        FlipOneByte,
        Truncate,
        Extend,
        ReplaceAll,
    }

    [Fact]
    public void Accepts_exactly_the_correct_streams_for_random_files_chunk_sizes_and_cut_points()
    {
        var gen = Gen.Select(Gen.Byte.Array[0, 3000], Gen.Int[1, 700], Gen.Int[1, 400].Array[0, 20], Gen.Enum<Change>(), Gen.Int[0, int.MaxValue]);
        gen.Sample((file, chunkSize, cuts, change, where) =>
        {
            var stream = Alter(file, change, where);
            var (accepted, output) = Feed(LayoutOf(file, chunkSize), stream, cuts);

            // Accepted exactly when the stream is the file; whatever came out is always a prefix of the file.
            Assert.Equal(stream.AsSpan().SequenceEqual(file), accepted);
            Assert.True(file.AsSpan().StartsWith(output), "the verifier let through bytes that are not the file's");
            Assert.Equal(accepted ? file.Length : output.Length, output.Length);
        }, iter: 2000);
    }

    [Fact]
    public void A_resumed_source_starts_at_the_first_unverified_chunk()
    {
        var file = RandomNumberGenerator.GetBytes(1000);
        using var verifier = new ChunkVerifier(LayoutOf(file, 300), 0, 3);
        file.AsSpan(0, 300).CopyTo(verifier.Free.Span);
        Assert.Equal(ChunkStatus.Verified, verifier.Advance(300));
        verifier.MoveNext();
        file.AsSpan(300, 100).CopyTo(verifier.Free.Span);
        Assert.Equal(ChunkStatus.NeedMore, verifier.Advance(100));

        verifier.Restart();
        Assert.Equal(300, verifier.ResumeOffset);
        Assert.Equal(1000, verifier.EndOffset);
        Assert.Equal(300, verifier.Free.Length);
    }

    private static ChunkLayout LayoutOf(byte[] file, int chunkSize)
    {
        var count = (file.Length + chunkSize - 1) / chunkSize;
        var hashes = new byte[count * ChunkLayout.HashLength];
        for (var i = 0; i < count; i++)
        {
            SHA256.HashData(file.AsSpan(i * chunkSize, Math.Min(chunkSize, file.Length - (i * chunkSize))), hashes.AsSpan(i * ChunkLayout.HashLength));
        }

        return new ChunkLayout(file.Length, chunkSize, hashes);
    }

    private static byte[] Alter(byte[] file, Change change, int where) => change switch
    {
        Change.FlipOneByte when file.Length > 0 => FlipAt(file, where % file.Length),
        Change.Truncate when file.Length > 0 => file[..(where % file.Length)],
        Change.Extend => [.. file, (byte)where, .. file.AsSpan(0, Math.Min(file.Length, where % 50))],
        Change.ReplaceAll when file.Length > 0 => RandomNumberGenerator.GetBytes(file.Length),
        _ => file,
    };

    private static byte[] FlipAt(byte[] file, int index)
    {
        var copy = (byte[])file.Clone();
        copy[index] ^= (byte)(1 << (index % 8));
        return copy;
    }

    /// <summary>Feeds the stream in the pieces the cut points make, as the forwarder reads a body; collects what it would forward.</summary>
    private static (bool Accepted, byte[] Output) Feed(ChunkLayout layout, byte[] stream, int[] cuts)
    {
        if (layout.Count == 0)
        {
            return (stream.Length == 0, []);
        }

        using var verifier = new ChunkVerifier(layout, 0, layout.Count - 1);
        var output = new List<byte>();
        var position = 0;
        var cut = 0;
        while (position < stream.Length)
        {
            var piece = Math.Min(stream.Length - position, cut < cuts.Length ? cuts[cut++] : stream.Length);
            var segment = stream.AsSpan(position, piece);
            position += piece;
            while (!segment.IsEmpty)
            {
                if (verifier.IsComplete)
                {
                    return (false, [.. output]);
                }

                var free = verifier.Free.Span;
                var n = Math.Min(free.Length, segment.Length);
                segment[..n].CopyTo(free);
                segment = segment[n..];
                switch (verifier.Advance(n))
                {
                    case ChunkStatus.Mismatch:
                        return (false, [.. output]);
                    case ChunkStatus.Verified:
                        output.AddRange(verifier.Chunk.Span);
                        verifier.MoveNext();
                        break;
                }
            }
        }

        return (verifier.IsComplete, [.. output]);
    }
}
