using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Torrents;

/// <summary>Our torrents against Debian's mktorrent 1.1: same content and piece length, same info hash.</summary>
public sealed class MktorrentTests : IDisposable
{
    private readonly TestRepository _repository = new();

    [Theory]
    [InlineData(1, 15)]
    [InlineData(32768, 15)]
    [InlineData(100_000, 15)]
    [InlineData(1_000_000, 18)]
    [InlineData(5_000_001, 20)]
    public async Task Single_file_torrent_has_the_info_hash_mktorrent_computes(int size, int log2PieceLength)
    {
        _repository.Add("iso/image.iso", size);
        var ours = await BuildAsync("image.iso", singleFile: true, [("iso/image.iso", ["image.iso"])], 1 << log2PieceLength, isPrivate: false);
        var theirs = await MktorrentAsync(Path.Combine(_repository.Folder, "iso/image.iso"), log2PieceLength, isPrivate: false);
        Assert.Equal(theirs, ours.InfoHash);
    }

    [Fact]
    public async Task Multi_file_torrent_of_a_folder_tree_has_the_info_hash_mktorrent_computes()
    {
        // Odd sizes so pieces run across file boundaries; names whose byte order differs from a case-insensitive one.
        _repository.Add("pool/b.deb", 40_000);
        _repository.Add("pool/A.deb", 1);
        _repository.Add("pool/a/z.deb", 70_001);
        _repository.Add("pool/a/b/c.deb", 12_345);
        var files = new (string, string[])[] { ("pool/A.deb", ["A.deb"]), ("pool/a/b/c.deb", ["a", "b", "c.deb"]), ("pool/a/z.deb", ["a", "z.deb"]), ("pool/b.deb", ["b.deb"]) };
        var ours = await BuildAsync("pool", singleFile: false, files, 1 << 15, isPrivate: false);
        var theirs = await MktorrentAsync(Path.Combine(_repository.Folder, "pool"), 15, isPrivate: false);
        Assert.Equal(theirs, ours.InfoHash);
    }

    [Fact]
    public async Task Private_torrent_has_the_info_hash_mktorrent_computes_with_its_private_flag()
    {
        _repository.Add("image.iso", 300_000);
        var ours = await BuildAsync("image.iso", singleFile: true, [("image.iso", ["image.iso"])], 1 << 16, isPrivate: true);
        Assert.Equal(await MktorrentAsync(Path.Combine(_repository.Folder, "image.iso"), 16, isPrivate: true), ours.InfoHash);
        Assert.NotEqual(await MktorrentAsync(Path.Combine(_repository.Folder, "image.iso"), 16, isPrivate: false), ours.InfoHash);
    }

    [Fact]
    public async Task Torrents_written_by_publish_have_the_info_hashes_mktorrent_computes()
    {
        _repository.Add("iso/big.iso", 5_000_000);
        _repository.Add("pool/main/a/p1.deb", 10_001);
        _repository.Add("pool/main/a/p2.deb", 20_002);
        await _repository.PublishAsync();
        var manifest = await ReadManifestAsync();
        var big = Assert.Single(manifest.Torrents!, t => t.Name == "big.iso");
        var batch = Assert.Single(manifest.Torrents!, t => t.Name == "main");
        Assert.Equal(await MktorrentAsync(Path.Combine(_repository.Folder, "iso/big.iso"), int.Log2(big.PieceLength), false), InfoHash.Parse(big.InfoHash));
        Assert.Equal(await MktorrentAsync(Path.Combine(_repository.Folder, "pool/main"), int.Log2(batch.PieceLength), false), InfoHash.Parse(batch.InfoHash));
    }

    public void Dispose() => _repository.Dispose();

    private async Task<Manifest> ReadManifestAsync()
    {
        await using var stream = File.OpenRead(_repository.ManifestPath);
        return await ManifestReader.ReadAsync(stream, CancellationToken.None);
    }

    private Task<BuiltTorrent> BuildAsync(string name, bool singleFile, IEnumerable<(string Path, string[] InTorrent)> files, int pieceLength, bool isPrivate) =>
        TorrentBuilder.BuildAsync(
            new TorrentSpec
            {
                Name = name,
                SingleFile = singleFile,
                Files = [.. files.Select(f => new TorrentContentFile(Path.Combine(_repository.Folder, f.Path), f.InTorrent, new FileInfo(Path.Combine(_repository.Folder, f.Path)).Length))],
                PieceLength = pieceLength,
                Private = isPrivate,
            },
            CancellationToken.None);

    private async Task<InfoHash> MktorrentAsync(string target, int log2PieceLength, bool isPrivate)
    {
        var output = Path.Combine(_repository.Root, Guid.NewGuid().ToString("N") + ".torrent");
        string[] arguments = ["-l", log2PieceLength.ToString(System.Globalization.CultureInfo.InvariantCulture), "-a", "http://127.0.0.1:1/announce", "-o", output, .. isPrivate ? ["-p"] : Array.Empty<string>(), target];
        var result = await CommandLine.RunAsync("mktorrent", arguments);
        Assert.True(result.ExitCode == 0, $"mktorrent failed ({result.ExitCode}): {result.Stderr}{result.Stdout}");

        // Our strict reader must also accept what another encoder wrote.
        return InfoHash.OfMetainfo(await File.ReadAllBytesAsync(output));
    }
}
