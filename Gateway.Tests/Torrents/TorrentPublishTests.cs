using Gateway.Cli;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Gateway.Tests.Infrastructure;
using Gateway.Tools.Publish;

namespace Gateway.Tests.Torrents;

public sealed class TorrentPublishTests : IDisposable
{
    private const int Large = 5 * 1024 * 1024;
    private readonly TestRepository _repository = new();

    [Fact]
    public async Task Large_files_get_their_own_torrent_and_small_files_are_batched_per_folder_with_links_both_ways()
    {
        _repository.Add("iso/big.iso", Large);
        _repository.Add("pool/main/a/apt/apt_1.deb", 10_000);
        _repository.Add("pool/main/b/bash/bash_5.deb", 20_000);
        _repository.Add("pool/contrib/x/x_1.deb", 30_000);
        _repository.Add("README", 100);
        _repository.AddBytes("pool/main/empty", []);
        var result = await PublishAsync(new TorrentPublishOptions { WebSeed = new Uri("http://origin.test/repo") });
        var manifest = await ReadManifestAsync();

        Assert.Equal(4, result.Torrents);
        var big = Assert.Single(manifest.Torrents!, t => t.Name == "big.iso");
        Assert.True(big.SingleFile);
        Assert.Equal("iso", big.Folder);
        Assert.Equal("http://origin.test/repo/iso/big.iso", big.WebSeed);
        Assert.Equal(TorrentPieceLength.For(Large), big.PieceLength);
        var main = Assert.Single(manifest.Torrents!, t => t.Name == "main");
        Assert.False(main.SingleFile);
        Assert.Equal("pool", main.Folder);
        Assert.Equal(["pool/main/a/apt/apt_1.deb", "pool/main/b/bash/bash_5.deb"], main.Files);
        Assert.Equal("http://origin.test/repo/pool/", main.WebSeed);
        Assert.Single(manifest.Torrents!, t => t.Name == "x_1.deb" && t.Folder == "pool/contrib/x" && t.SingleFile);
        Assert.Single(manifest.Torrents!, t => t.Name == "README" && t.Folder.Length == 0 && t.WebSeed == "http://origin.test/repo/README");
        Assert.Null(manifest.Files.Single(f => f.Path == "pool/main/empty").Torrents);
        Assert.Equal([main.InfoHash], manifest.Files.Single(f => f.Path == "pool/main/a/apt/apt_1.deb").Torrents);
        Assert.DoesNotContain(manifest.Files, f => f.Path.StartsWith("torrents/", StringComparison.Ordinal));
        foreach (var torrent in manifest.Torrents!)
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(_repository.Folder, torrent.Torrent));
            Assert.Equal(torrent.InfoHash, InfoHash.OfMetainfo(bytes).ToString());
        }
    }

    [Fact]
    public async Task Batches_respect_the_file_and_byte_caps()
    {
        for (var i = 0; i < 7; i++)
        {
            _repository.Add($"pool/p{i}.deb", 1000);
        }

        await PublishAsync(new TorrentPublishOptions { BatchMaxFiles = 3 });
        var byFiles = await ReadManifestAsync();
        Assert.All(byFiles.Torrents!, t => Assert.InRange(t.Files.Count, 1, 3));
        Assert.Equal(7, byFiles.Torrents!.Sum(t => t.Files.Count));

        await PublishAsync(new TorrentPublishOptions { BatchMaxBytes = 2500 });
        var byBytes = await ReadManifestAsync();
        Assert.All(byBytes.Torrents!, t => Assert.InRange(t.Size, 1, 2500));
        Assert.Equal(7, byBytes.Torrents!.Sum(t => t.Files.Count));
    }

    [Fact]
    public async Task Republishing_unchanged_files_rebuilds_no_torrent_and_a_changed_file_rebuilds_only_its_own()
    {
        _repository.Add("iso/big.iso", Large);
        _repository.Add("pool/main/a.deb", 1000);
        _repository.Add("pool/main/b.deb", 2000);
        var first = await PublishAsync(new TorrentPublishOptions());
        var before = await ReadManifestAsync();
        Assert.Equal(2, first.TorrentsBuilt);

        var again = await PublishAsync(new TorrentPublishOptions());
        Assert.Equal(0, again.TorrentsBuilt);
        Assert.Equal(before.Torrents!.Select(t => t.InfoHash), (await ReadManifestAsync()).Torrents!.Select(t => t.InfoHash));

        _repository.Add("pool/main/b.deb", 2001);
        var changed = await PublishAsync(new TorrentPublishOptions());
        var after = await ReadManifestAsync();
        Assert.Equal(1, changed.TorrentsBuilt);
        var oldBatch = before.Torrents!.Single(t => t.Name == "main");
        var newBatch = after.Torrents!.Single(t => t.Name == "main");
        Assert.NotEqual(oldBatch.InfoHash, newBatch.InfoHash);
        Assert.Equal(before.Torrents!.Single(t => t.Name == "big.iso").InfoHash, after.Torrents!.Single(t => t.Name == "big.iso").InfoHash);
        Assert.False(File.Exists(Path.Combine(_repository.Folder, oldBatch.Torrent)), "the replaced .torrent is removed");
        Assert.True(File.Exists(Path.Combine(_repository.Folder, newBatch.Torrent)));
    }

    [Fact]
    public async Task Changing_announce_web_seed_or_private_flag_rebuilds_the_torrents()
    {
        _repository.Add("pool/a.deb", 1000);
        _repository.Add("pool/b.deb", 1000);
        await PublishAsync(new TorrentPublishOptions());
        var plain = (await ReadManifestAsync()).Torrents!.Single();
        var announced = await PublishAsync(new TorrentPublishOptions { Announce = new Uri("http://127.0.0.1:6969/announce/k") });
        Assert.Equal(1, announced.TorrentsBuilt);
        Assert.Equal(plain.InfoHash, (await ReadManifestAsync()).Torrents!.Single().InfoHash);
        await PublishAsync(new TorrentPublishOptions { Private = true });
        var privateTorrent = (await ReadManifestAsync()).Torrents!.Single();
        Assert.True(privateTorrent.Private);
        Assert.NotEqual(plain.InfoHash, privateTorrent.InfoHash);
    }

    [Fact]
    public async Task Identical_files_under_the_same_name_in_two_folders_are_one_torrent_with_a_copy()
    {
        var bytes = _repository.Add("pool/main/x/x_1.deb", 1000);
        _repository.AddBytes("pool/contrib/x/x_1.deb", bytes);
        await PublishAsync(new TorrentPublishOptions { BatchDepth = 4 });
        var manifest = await ReadManifestAsync();
        var torrent = Assert.Single(manifest.Torrents!);
        Assert.Equal(["pool/contrib/x/x_1.deb"], torrent.Files);
        Assert.Equal(["pool/main/x"], torrent.Copies);
        Assert.All(manifest.Files, f => Assert.Equal([torrent.InfoHash], f.Torrents));
    }

    [Fact]
    public async Task With_torrents_off_the_manifest_is_the_plain_format_without_torrent_fields()
    {
        _repository.Add("pool/a.deb", 1000);
        var result = await PublishAsync(new TorrentPublishOptions { Enabled = false });
        Assert.Equal(0, result.Torrents);
        var json = await File.ReadAllTextAsync(_repository.ManifestPath);
        Assert.DoesNotContain("torrents", json, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_repository.Folder, "torrents")));
    }

    [Fact]
    public async Task The_manifest_reader_refuses_links_between_files_and_torrents_that_do_not_hold_both_ways()
    {
        _repository.Add("pool/a.deb", 1000);
        _repository.Add("pool/b.deb", 1000);
        await PublishAsync(new TorrentPublishOptions());
        var manifest = await ReadManifestAsync();
        var torrent = manifest.Torrents!.Single();

        var unlinked = manifest with { Files = [.. manifest.Files.Select(f => f with { Torrents = null })] };
        Assert.Contains("does not list this torrent", Assert.Throws<InvalidDataException>(() => ManifestReader.Validate(unlinked)).Message, StringComparison.Ordinal);

        var dangling = manifest with { Torrents = [] };
        Assert.Contains("is not in torrents[]", Assert.Throws<InvalidDataException>(() => ManifestReader.Validate(dangling)).Message, StringComparison.Ordinal);

        var badPiece = manifest with { Torrents = [torrent with { PieceLength = 1000 }] };
        Assert.Contains("pieceLength", Assert.Throws<InvalidDataException>(() => ManifestReader.Validate(badPiece)).Message, StringComparison.Ordinal);

        var misplaced = manifest with { Torrents = [torrent with { Name = "other" }] };
        Assert.Contains("folder/name", Assert.Throws<InvalidDataException>(() => ManifestReader.Validate(misplaced)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_options_parse_from_the_command_line_and_errors_name_the_option()
    {
        var publish = new PublishVerb();
        var parsed = publish.Read(publish.Command.Parse(["repo", "--announce", "http://t.test/announce/k", "--web-seed=http://o.test/", "--private", "--piece-length", "256K", "--torrents", "on", "--out", "m.json"]));
        Assert.Equal("repo", parsed.Folder);
        Assert.Equal("m.json", parsed.ManifestPath);
        Assert.Equal(new Uri("http://t.test/announce/k"), parsed.Torrents.Announce);
        Assert.Equal(new Uri("http://o.test/"), parsed.Torrents.WebSeed);
        Assert.True(parsed.Torrents.Private);
        Assert.Equal(256 * 1024, parsed.Torrents.PieceLength);
        Assert.False(publish.Read(publish.Command.Parse(["repo", "--torrents=off"])).Torrents.Enabled);
        Assert.Equal(Path.Combine("repo", "manifest.json"), publish.Read(publish.Command.Parse(["repo"])).ManifestPath);

        foreach (var (args, named) in new[]
        {
            (new[] { "repo", "--piece-length", "100000" }, "--piece-length"),
            (["repo", "--web-seed", "ftp://o.test/"], "--web-seed"),
            (["repo", "--torrents", "maybe"], "--torrents"),
            (["repo", "--bogus"], "--bogus"),
        })
        {
            using var output = new StringWriter();
            using var errors = new StringWriter();
            Assert.Equal(2, await GatewayCommands.RunAsync(["publish", .. args], output, errors));
            Assert.Contains(named, errors.ToString(), StringComparison.Ordinal);
        }
    }

    public void Dispose() => _repository.Dispose();

    private Task<PublishResult> PublishAsync(TorrentPublishOptions options) =>
        new RepositoryPublisher(TimeProvider.System, options).PublishAsync(_repository.Folder, _repository.ManifestPath, TextWriter.Null, CancellationToken.None);

    private async Task<Manifest> ReadManifestAsync()
    {
        await using var stream = File.OpenRead(_repository.ManifestPath);
        return await ManifestReader.ReadAsync(stream, CancellationToken.None);
    }
}
