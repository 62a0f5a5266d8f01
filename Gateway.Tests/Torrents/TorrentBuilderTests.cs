using System.Security.Cryptography;
using CsCheck;
using Gateway.Core.Bencode;
using Gateway.Core.Torrents;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Torrents;

public sealed class TorrentBuilderTests : IDisposable
{
    private readonly TestRepository _repository = new();

    [Fact]
    public async Task Metainfo_is_strict_bencode_with_announce_web_seed_and_private_flag_and_its_info_hashes_to_the_reported_hash()
    {
        _repository.Add("x.bin", 50_000);
        var built = await TorrentBuilder.BuildAsync(Spec("x.bin", singleFile: true, [("x.bin", [])], 1 << 14) with
        {
            Announce = new Uri("http://127.0.0.1:6969/announce/key"),
            WebSeeds = ["http://127.0.0.1:8080/x.bin"],
            Private = true,
        }, CancellationToken.None);

        var root = Assert.IsType<BencodeDictionary>(BencodeDecoder.Decode(built.Metainfo));
        Assert.Equal("http://127.0.0.1:6969/announce/key", root.Get<BencodeString>("announce"u8)!.ToString());
        Assert.Equal("http://127.0.0.1:8080/x.bin", Assert.Single(root.Get<BencodeList>("url-list"u8)!).ToString());
        var info = root.Get<BencodeDictionary>("info"u8)!;
        Assert.Equal(1, info.Get<BencodeInteger>("private"u8)!.Value);
        Assert.Equal(50_000, info.Get<BencodeInteger>("length"u8)!.Value);
        Assert.Equal(1 << 14, info.Get<BencodeInteger>("piece length"u8)!.Value);
        Assert.Equal(4 * 20, info.Get<BencodeString>("pieces"u8)!.Bytes.Length);
        Assert.Equal(InfoHash.OfMetainfo(built.Metainfo), built.InfoHash);
        Assert.Equal(InfoHash.OfInfo(info.Encode()), built.InfoHash);
    }

    [Fact]
    public async Task Pieces_are_the_SHA1_of_the_files_concatenated_across_file_boundaries()
    {
        var a = _repository.Add("d/a", 20_000);
        var b = _repository.Add("d/b", 1);
        var c = _repository.Add("d/c", 30_000);
        var built = await TorrentBuilder.BuildAsync(Spec("d", singleFile: false, [("d/a", ["a"]), ("d/b", ["b"]), ("d/c", ["c"])], 1 << 14), CancellationToken.None);

        byte[] all = [.. a, .. b, .. c];
        var expected = all.Chunk(1 << 14).SelectMany(SHA1.HashData).ToArray();
        var info = ((BencodeDictionary)BencodeDecoder.Decode(built.Metainfo)).Get<BencodeDictionary>("info"u8)!;
        Assert.Equal(expected, info.Get<BencodeString>("pieces"u8)!.Bytes.ToArray());
        Assert.Equal(3, info.Get<BencodeList>("files"u8)!.Count);
        Assert.Equal(4, built.PieceCount);
    }

    [Fact]
    public async Task A_file_shorter_than_declared_fails_the_build_instead_of_hashing_wrong_pieces()
    {
        _repository.Add("short.bin", 1000);
        var spec = Spec("short.bin", singleFile: true, [("short.bin", [])], 1 << 14) with { Files = [new TorrentContentFile(Path.Combine(_repository.Folder, "short.bin"), [], 2000)] };
        var error = await Assert.ThrowsAsync<IOException>(() => TorrentBuilder.BuildAsync(spec, CancellationToken.None));
        Assert.Contains("shorter than the 2000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(12_345)]
    [InlineData(3 * 1024 * 1024)]
    public async Task Invalid_piece_lengths_are_refused(int pieceLength)
    {
        _repository.Add("x.bin", 10);
        await Assert.ThrowsAsync<ArgumentException>(() => TorrentBuilder.BuildAsync(Spec("x.bin", true, [("x.bin", [])], pieceLength), CancellationToken.None));
    }

    [Fact]
    public void Default_piece_length_is_a_valid_power_of_two_that_never_shrinks_as_size_grows()
    {
        Gen.Long[0, 1L << 42].Select(Gen.Long[0, 1L << 42]).Sample((x, y) =>
        {
            var (small, large) = x <= y ? (x, y) : (y, x);
            Assert.True(TorrentPieceLength.IsValid(TorrentPieceLength.For(small)));
            Assert.True(TorrentPieceLength.For(small) <= TorrentPieceLength.For(large));
        });
        Assert.Equal(32 * 1024, TorrentPieceLength.For(4 * 1024 * 1024));
        Assert.Equal(256 * 1024, TorrentPieceLength.For(400L * 1024 * 1024));
        Assert.Equal(2 * 1024 * 1024, TorrentPieceLength.For(4L * 1024 * 1024 * 1024));
        Assert.Equal(16 * 1024 * 1024, TorrentPieceLength.For(1L << 42));
    }

    [Fact]
    public void Info_hash_parses_and_prints_40_hex_digits_and_compares_by_value()
    {
        Gen.Byte.Array[20].Sample(bytes =>
        {
            var hash = new InfoHash(bytes);
            Assert.Equal(Convert.ToHexStringLower(bytes), hash.ToString());
            Assert.Equal(hash, InfoHash.Parse(hash.ToString().ToUpperInvariant()));
            Assert.Equal(bytes, hash.ToArray());
            Assert.True(hash == new InfoHash(bytes));
        });
        Assert.False(InfoHash.TryParse("abc", out _));
        Assert.False(InfoHash.TryParse(new string('g', 40), out _));
    }

    public void Dispose() => _repository.Dispose();

    private TorrentSpec Spec(string name, bool singleFile, IEnumerable<(string Path, string[] InTorrent)> files, int pieceLength) => new()
    {
        Name = name,
        SingleFile = singleFile,
        Files = [.. files.Select(f => new TorrentContentFile(Path.Combine(_repository.Folder, f.Path), f.InTorrent, new FileInfo(Path.Combine(_repository.Folder, f.Path)).Length))],
        PieceLength = pieceLength,
    };
}
