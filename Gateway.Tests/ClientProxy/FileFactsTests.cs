using System.Security.Cryptography;
using System.Text;
using Gateway.ClientProxy;
using Gateway.Core.Catalog;
using Gateway.Delivery.Mirrors;

namespace Gateway.Tests.ClientProxy;

/// <summary>verify-proxy reads back exactly what the gateway's metalink writer says, and nothing that does not add up.</summary>
public sealed class FileFactsTests
{
    [Fact]
    public void The_metalink_of_a_chunked_file_gives_its_size_digest_and_piece_hashes()
    {
        var file = RandomNumberGenerator.GetBytes(2_500);
        var pieces = Enumerable.Range(0, 3).Select(i => Convert.ToHexStringLower(SHA256.HashData(file.AsSpan(i * 1000, Math.Min(1000, file.Length - (i * 1000)))))).ToList();
        var entry = new CatalogEntry(Manifest(file) with { Chunks = new ManifestChunks(1000, pieces) });

        var facts = Read(MetalinkWriter.Write(entry, [new MirrorUrl("v1", "http://v1.example/a.deb", 1)], DateTimeOffset.UnixEpoch))!;

        Assert.Equal(2_500, facts.Size);
        Assert.Equal(SHA256.HashData(file), facts.Sha256);
        var layout = Assert.IsType<Gateway.Core.Content.ChunkLayout>(facts.Pieces);
        Assert.Equal((1000, 3), (layout.ChunkSize, layout.Count));
        Assert.Equal(entry.ChunkHashes.ToArray(), layout.Hashes.ToArray());
        Assert.Equal(layout, facts.Layout(maxWholeFile: 0));
    }

    [Fact]
    public void A_file_without_pieces_is_one_piece_up_to_the_memory_limit_and_spooled_above_it()
    {
        var file = RandomNumberGenerator.GetBytes(700);
        var facts = Read(MetalinkWriter.Write(new CatalogEntry(Manifest(file)), [], DateTimeOffset.UnixEpoch))!;
        Assert.Null(facts.Pieces);
        Assert.Equal((700L, 700, 1), facts.Layout(700) is { } one ? (one.FileSize, one.ChunkSize, one.Count) : default);
        Assert.Null(facts.Layout(699));
    }

    [Theory]
    [InlineData("<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\"><file name=\"a\"><size>10</size></file></metalink>")]
    [InlineData("<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\"><file name=\"a\"><size>10</size><hash type=\"sha-256\">00</hash></file></metalink>")]
    [InlineData("not xml")]
    [InlineData("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">&e;</metalink>")]
    public void A_document_that_does_not_add_up_gives_nothing(string document) =>
        Assert.Null(Read(Encoding.UTF8.GetBytes(document)));

    [Fact]
    public void Piece_hashes_whose_count_does_not_match_the_size_give_nothing()
    {
        var hash = Convert.ToHexStringLower(new byte[32]);
        var document = $"<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\"><file name=\"a\"><size>2500</size><hash type=\"sha-256\">{hash}</hash>"
            + $"<pieces length=\"1000\" type=\"sha-256\"><hash>{hash}</hash><hash>{hash}</hash></pieces></file></metalink>";
        Assert.Null(Read(Encoding.UTF8.GetBytes(document)));
    }

    private static ManifestFile Manifest(byte[] file)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(file));
        return new ManifestFile("pool/a.deb", file.Length, sha, sha, 0);
    }

    private static FileFacts? Read(byte[] document)
    {
        using var stream = new MemoryStream(document);
        return FileFacts.TryRead(stream);
    }
}
