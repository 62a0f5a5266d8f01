using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Core.Catalog;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Catalog;

public sealed class CatalogIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("catalog-index-").FullName;

    private string ManifestPath => Path.Combine(_dir, "manifest.json");

    private string IndexPath => Path.Combine(_dir, "manifest.index");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Hex(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    // Files with chunks, a content id that is not a SHA-256, a non-ASCII name, and a torrent with a copy; the first
    // file has neither a torrent nor another content id, so those columns start part way.
    private static Manifest Sample(string generated = "2026-12-07T12:00:00.123456+00:00")
    {
        const string hash = "c054037391dff35ce812c58964d87ba7e21351ec";
        // Sorted by path, as publish writes them.
        ManifestFile File(string path, string seed, long size = 10, string? content = null, bool inTorrent = false) =>
            new(path, size, Hex(seed), content ?? Hex(seed), 1795689127147, inTorrent ? [hash] : null);
        var big = File("iso/big.iso", "big", 2_500_000) with { Chunks = new ManifestChunks(1 << 20, [Hex("c0"), Hex("c1"), Hex("c2")]) };
        return new Manifest(1, DateTimeOffset.Parse(generated, System.Globalization.CultureInfo.InvariantCulture),
            [File("a.deb", "top"), File("copy/main/a/a.deb", "a", inTorrent: true), File("copy/main/b/ü b.deb", "b", content: "custom-id", inTorrent: true), big, File("pool/main/a/a.deb", "a", inTorrent: true), File("pool/main/b/ü b.deb", "b", content: "custom-id", inTorrent: true)],
            [new ManifestTorrent(hash, "main", "pool", false, "torrents/" + hash + ".torrent", 32768, 20, false, null, null, ["pool/main/a/a.deb", "pool/main/b/ü b.deb"], ["copy"])]);
    }

    private async Task<RepositoryCatalog> PublishAsync(Manifest manifest, RepositoryCatalog? previous = null)
    {
        await System.IO.File.WriteAllBytesAsync(ManifestPath, JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.Manifest));
        await CatalogIndexFile.WriteAsync(new RepositoryCatalog(manifest, "test"), ManifestPath, IndexPath, CancellationToken.None);
        return (await CatalogIndexFile.LoadAsync(IndexPath, ManifestPath, "v", CancellationToken.None, previous))!;
    }

    [Fact]
    public async Task The_index_loads_the_same_catalog_as_the_json()
    {
        var fromIndex = await PublishAsync(Sample());
        await using var stream = System.IO.File.OpenRead(ManifestPath);
        var fromJson = await ManifestReader.LoadAsync(stream, "v", CancellationToken.None);
        Assert.Equal(6, fromIndex.Count);
        Assert.Equal(fromJson.Generated, fromIndex.Generated);
        foreach (var (a, b) in fromJson.Entries.Zip(fromIndex.Entries))
        {
            Assert.Equal((a.Path, a.Size, a.Sha256, a.ContentId, a.ReprDigest, a.EscapedPath, a.ChunkSize), (b.Path, b.Size, b.Sha256, b.ContentId, b.ReprDigest, b.EscapedPath, b.ChunkSize));
            Assert.True(a.ChunkHashes.Span.SequenceEqual(b.ChunkHashes.Span));
        }

        Assert.Equal("custom-id", fromIndex.Find("copy/main/b/ü b.deb")!.ContentId);
        Assert.Equal(3 * 32, fromIndex.Find("iso/big.iso")!.ChunkHashes.Length);
        Assert.Equal(
            JsonSerializer.Serialize(Sample(), ManifestJsonContext.Default.Manifest),
            JsonSerializer.Serialize(fromIndex.Manifest, ManifestJsonContext.Default.Manifest));
        Assert.Equal(2, Assert.Single(fromIndex.TorrentContents).Value.Count); // a.deb and ü b.deb, at both places
    }

    [Fact]
    public async Task An_index_made_from_another_version_of_the_manifest_is_passed_over()
    {
        await PublishAsync(Sample());
        await System.IO.File.WriteAllBytesAsync(ManifestPath, JsonSerializer.SerializeToUtf8Bytes(Sample("2026-12-08T12:00:00.654321+00:00"), ManifestJsonContext.Default.Manifest));
        Assert.Null(await CatalogIndexFile.LoadAsync(IndexPath, ManifestPath, "v", CancellationToken.None));
    }

    [Fact]
    public async Task A_reload_from_the_index_shares_the_columns_that_did_not_change()
    {
        var before = await PublishAsync(Sample());
        var changed = Sample("2026-12-08T12:00:00.654321+00:00");
        changed = changed with { Files = [.. changed.Files.Select(f => f.Path == "iso/big.iso" ? f : f with { Modified = f.Modified + 1 })] };
        await System.IO.File.WriteAllBytesAsync(ManifestPath, JsonSerializer.SerializeToUtf8Bytes(changed, ManifestJsonContext.Default.Manifest));
        await CatalogIndexFile.WriteAsync(new RepositoryCatalog(changed, "test"), ManifestPath, IndexPath, CancellationToken.None);

        var after = (await CatalogIndexFile.LoadAsync(IndexPath, ManifestPath, "v2", CancellationToken.None, before))!;

        Assert.Same(before.Table.Columns.Names, after.Table.Columns.Names);
        Assert.All(before.Table.Columns.Digests.Zip(after.Table.Columns.Digests), pages => Assert.Same(pages.First, pages.Second));
        Assert.NotSame(before.Table.Columns.Modified, after.Table.Columns.Modified);
        Assert.Equal(changed.Files.Select(f => f.Modified), after.Manifest.Files.Select(f => f.Modified));
        Assert.Equal(before.Find("iso/big.iso")!.Sha256, after.Find("iso/big.iso")!.Sha256);
        Assert.NotEqual(before.Generated, after.Generated);
    }

    [Fact]
    public async Task A_reload_from_the_index_allocates_only_the_digest_pages_with_a_changed_file()
    {
        static Manifest Files(int changed) => new(1, DateTimeOffset.UnixEpoch.AddDays(changed + 1), [.. Enumerable.Range(0, 100).Select(i =>
            new ManifestFile($"pool/{i:D3}.deb", i, Hex(i == changed ? "changed" : "f" + i), Hex(i == changed ? "changed" : "f" + i), 0))]);
        var before = await PublishAsync(Files(changed: -1));
        var after = (await PublishAsync(Files(changed: 50), before))!;

        var shared = before.Table.Columns.Digests.Zip(after.Table.Columns.Digests).Select(pages => ReferenceEquals(pages.First, pages.Second));
        Assert.Equal([true, false, true, true], shared);
        Assert.Equal(Hex("changed"), after.Find("pool/050.deb")!.Sha256);
        Assert.Equal(Hex("f51"), after.Find("pool/051.deb")!.Sha256);
        Assert.Equal(Hex("f51"), before.Find("pool/051.deb")!.Sha256);
        Assert.Equal(Hex("f50"), before.Find("pool/050.deb")!.Sha256);
    }

    [Fact]
    public async Task The_gateway_drops_modification_times_but_still_checks_them()
    {
        await PublishAsync(Sample());
        var lean = (await CatalogIndexFile.LoadAsync(IndexPath, ManifestPath, "v", CancellationToken.None, keepModified: false))!;
        Assert.Empty(lean.Table.Columns.Modified);
        Assert.All(lean.Entries, e => Assert.Equal(0, e.Modified));
        Assert.Equal(Hex("a"), lean.Find("pool/main/a/a.deb")!.Sha256);

        var bytes = await System.IO.File.ReadAllBytesAsync(IndexPath);
        var at = bytes.AsSpan().IndexOf(BitConverter.GetBytes(1795689127147L));
        bytes[at] ^= 1;
        await System.IO.File.WriteAllBytesAsync(IndexPath, bytes);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => CatalogIndexFile.LoadAsync(IndexPath, ManifestPath, "v", CancellationToken.None, keepModified: false));
        Assert.Contains("checksum does not match", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncate", "is truncated")]
    [InlineData("flip", "checksum does not match")]
    [InlineData("format", "has format 2; this gateway reads format 1")]
    [InlineData("magic", "not a catalog index")]
    public async Task A_damaged_index_is_refused_and_the_previous_catalog_stays_in_force(string damage, string expected)
    {
        await PublishAsync(Sample());
        var state = new CatalogState();
        using var reloader = new CatalogReloadService(new ManifestSource(new HttpClient()), state, new TestOptionsMonitor<CatalogOptions>(new CatalogOptions { Source = ManifestPath }), TimeProvider.System, NullLogger<CatalogReloadService>.Instance);
        Assert.True(await reloader.ReloadOnceAsync(CancellationToken.None));
        var before = state.Current;

        var bytes = await System.IO.File.ReadAllBytesAsync(IndexPath);
        switch (damage)
        {
            case "truncate": bytes = bytes[..(bytes.Length / 2)]; break;
            case "flip": bytes[bytes.AsSpan().IndexOf(SHA256.HashData("a"u8)) + 5] ^= 0x40; break; // inside file a.deb's digest
            case "format": bytes[8] = 2; break;
            default: bytes[0] = (byte)'X'; break;
        }

        await System.IO.File.WriteAllBytesAsync(IndexPath, bytes);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => CatalogIndexFile.LoadAsync(IndexPath, ManifestPath, "v", CancellationToken.None));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("manifest.index", error.Message, StringComparison.Ordinal);

        System.IO.File.SetLastWriteTimeUtc(ManifestPath, DateTime.UtcNow.AddMinutes(1));
        Assert.False(await reloader.ReloadOnceAsync(CancellationToken.None));
        Assert.Same(before, state.Current);
    }

    // A checksum only proves the index is whole: one rewritten with a hostile name and a fresh checksum is still refused.
    [Theory]
    [InlineData("a\\deb")]
    [InlineData("a\u0001deb")]
    [InlineData("../..")]
    public async Task An_index_with_a_hostile_path_is_refused_even_with_a_good_checksum(string name)
    {
        await PublishAsync(Sample());
        var bytes = await System.IO.File.ReadAllBytesAsync(IndexPath);
        var at = bytes.AsSpan().IndexOf("a.deb"u8);
        var hostile = Encoding.UTF8.GetBytes(name);
        bytes = [.. bytes[..at], .. hostile, .. bytes[(at + hostile.Length)..]];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), System.IO.Hashing.XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8)));
        await System.IO.File.WriteAllBytesAsync(IndexPath, bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => CatalogIndexFile.LoadAsync(IndexPath, ManifestPath, "v", CancellationToken.None));
        Assert.Contains("is not a relative '/'-separated path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_manifest_is_refused_with_the_entry_it_ends_in()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(Sample(), ManifestJsonContext.Default.Manifest);
        using var stream = new MemoryStream(json[..(json.Length * 2 / 3)]);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ManifestReader.LoadAsync(stream, "v", CancellationToken.None));
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.Contains("files[", error.Message, StringComparison.Ordinal);
    }

    // The reader's buffer starts at 64 KiB: entries and tokens cut by its end, and one entry larger than it, must read whole.
    [Fact]
    public async Task A_manifest_larger_than_the_read_buffer_streams_entry_by_entry()
    {
        var chunked = new ManifestFile("iso/huge.iso", 3000L << 20, Hex("huge"), Hex("huge"), 0) { Chunks = new ManifestChunks(1 << 20, [.. Enumerable.Range(0, 3000).Select(i => Hex("chunk" + i))]) };
        var files = Enumerable.Range(0, 5000).Select(i => new ManifestFile($"pool/main/{i % 97}/package-{i}_1.0_amd64.deb", i, Hex("f" + i), Hex("f" + i), i)).Append(chunked).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var json = JsonSerializer.SerializeToUtf8Bytes(new Manifest(1, DateTimeOffset.UnixEpoch, files), ManifestJsonContext.Default.Manifest);
        using var stream = new MemoryStream(json);
        var catalog = await ManifestReader.LoadAsync(stream, "v", CancellationToken.None);
        Assert.Equal(5001, catalog.Count);
        Assert.All(files, f => Assert.Equal(f.Sha256, catalog.Find(f.Path)?.Sha256));
        Assert.Equal(3000 * 32, catalog.Find("iso/huge.iso")!.ChunkHashes.Length);
    }

    [Fact]
    public void Lookup_finds_every_published_path_and_nothing_else()
    {
        var longName = new string('x', 700) + "é.deb";
        var paths = Enumerable.Range(0, 3000).Select(i => $"dists/{i % 13}/f{i}").Append(longName).Append("top").Append("ü/ß").ToList();
        var catalog = new RepositoryCatalog(new Manifest(1, DateTimeOffset.UnixEpoch, [.. paths.Select(p => new ManifestFile(p, 1, Hex(p), Hex(p), 0))]), "v");
        Assert.All(paths, p => Assert.Equal(p, catalog.Find(p)?.Path));
        Assert.All(paths, p => Assert.Equal(Hex(p), catalog.Find(p)?.Sha256));
        Assert.All(["dists/0", "dists/0/", "dists/1/f0", "to", "topp", "ü", "", longName + "x", "dists//f0"], p => Assert.Null(catalog.Find(p)));
        Assert.True(catalog.Contains("ü/ß".AsSpan()));
    }

    /// <summary>
    /// Entries are kept in a bounded set of recent slots (row mod 16,384): a repeated lookup reuses the entry and the
    /// strings it made, and rows that share a slot each get their own, right entry.
    /// </summary>
    [Fact]
    public void A_repeated_lookup_reuses_its_entry_and_rows_sharing_a_slot_each_get_their_own()
    {
        var paths = Enumerable.Range(0, 40_000).Select(i => $"pool/f{i:D5}").ToList();
        var catalog = new RepositoryCatalog(new Manifest(1, DateTimeOffset.UnixEpoch, [.. paths.Select(p => new ManifestFile(p, 1, Hex(p), Hex(p), 0))]), "v");
        var first = catalog.Find(paths[5])!;
        var digest = first.ReprDigest;
        Assert.Same(first, catalog.Find(paths[5]));
        Assert.Same(digest, catalog.Find(paths[5])!.ReprDigest);

        // Rows 5, 16,389 and 32,773 share a slot: each lookup answers its own file, whichever was looked up last.
        foreach (var i in new[] { 5, 16_389, 32_773, 5, 32_773 })
        {
            var entry = catalog.Find(paths[i])!;
            Assert.Equal(paths[i], entry.Path);
            Assert.Equal(Hex(paths[i]), entry.Sha256);
        }

        Assert.All(paths, p => Assert.Equal(p, catalog.Find(p)?.Path));
    }
}
