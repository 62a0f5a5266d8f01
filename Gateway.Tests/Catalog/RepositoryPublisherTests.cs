using Gateway.Core.Catalog;
using Gateway.Tests.Infrastructure;
using Gateway.Tools.Publish;

namespace Gateway.Tests.Catalog;

public sealed class RepositoryPublisherTests
{
    [Fact]
    public async Task Publishing_again_hashes_only_new_and_changed_files()
    {
        using var repository = new TestRepository();
        repository.Add("a/one.deb", 1000);
        repository.Add("a/two.deb", 2000);
        var first = await repository.PublishAsync();
        Assert.Equal((2, 2, 0), (first.Files, first.Hashed, first.Reused));

        var again = await repository.PublishAsync();
        Assert.Equal((2, 0, 2), (again.Files, again.Hashed, again.Reused));

        repository.Add("a/three.deb", 3000);
        var changed = Path.Combine(repository.Folder, "a/one.deb");
        await File.WriteAllBytesAsync(changed, new byte[1001]);
        var third = await repository.PublishAsync();
        Assert.Equal((3, 2, 1), (third.Files, third.Hashed, third.Reused));

        await using var stream = File.OpenRead(repository.ManifestPath);
        var manifest = await ManifestReader.ReadAsync(stream, CancellationToken.None);
        var one = manifest.Files.Single(f => f.Path == "a/one.deb");
        Assert.Equal(1001, one.Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(new byte[1001])), one.Sha256);
    }

    [Fact]
    public async Task Files_larger_than_a_chunk_get_per_chunk_SHA256_kept_while_unchanged_and_redone_for_another_chunk_size()
    {
        using var repository = new TestRepository();
        var big = repository.Add("pool/big.deb", 10_000);
        repository.Add("pool/small.deb", 4096);
        await repository.PublishAsync(chunkSize: 4096);

        var manifest = await ReadManifestAsync(repository);
        var chunks = manifest.Files.Single(f => f.Path == "pool/big.deb").Chunks!;
        Assert.Equal(4096, chunks.Size);
        Assert.Equal(
            [.. Enumerable.Range(0, 3).Select(i => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(big.AsSpan(i * 4096, Math.Min(4096, big.Length - (i * 4096))))))],
            chunks.Sha256);
        Assert.Null(manifest.Files.Single(f => f.Path == "pool/small.deb").Chunks);

        var again = await repository.PublishAsync(chunkSize: 4096);
        Assert.Equal(0, again.Hashed);
        var otherSize = await repository.PublishAsync(chunkSize: 8192);
        Assert.Equal(1, otherSize.Hashed);
        Assert.Equal(8192, (await ReadManifestAsync(repository)).Files.Single(f => f.Path == "pool/big.deb").Chunks!.Size);
    }

    [Fact]
    public async Task Publish_writes_the_catalog_index_and_a_damaged_one_only_means_reading_the_json()
    {
        using var repository = new TestRepository();
        repository.Add("a/one.deb", 1000);
        repository.Add("a/two.deb", 2000);
        await repository.PublishAsync();
        var index = CatalogIndexFile.PathFor(repository.ManifestPath);
        var loaded = await CatalogIndexFile.LoadAsync(index, repository.ManifestPath, "v", CancellationToken.None);
        Assert.Equal(["a/one.deb", "a/two.deb"], loaded!.Entries.Select(e => e.Path));

        var bytes = await File.ReadAllBytesAsync(index);
        bytes[^20] ^= 1;
        await File.WriteAllBytesAsync(index, bytes);
        var again = await repository.PublishAsync();

        Assert.Equal((2, 0, 2), (again.Files, again.Hashed, again.Reused));
        Assert.Equal(2, (await CatalogIndexFile.LoadAsync(index, repository.ManifestPath, "v", CancellationToken.None))!.Count);
    }

    private static async Task<Manifest> ReadManifestAsync(TestRepository repository)
    {
        await using var stream = File.OpenRead(repository.ManifestPath);
        return await ManifestReader.ReadAsync(stream, CancellationToken.None);
    }

    [Fact]
    public async Task Identical_files_share_a_content_id_and_the_manifest_is_sorted_and_excludes_itself()
    {
        using var repository = new TestRepository();
        var bytes = repository.Add("main/x.deb", 5000);
        repository.AddBytes("contrib/x.deb", bytes);
        repository.Add("b.deb", 10);
        var manifestInside = Path.Combine(repository.Folder, "manifest.json");
        await new RepositoryPublisher(TimeProvider.System).PublishAsync(repository.Folder, manifestInside, TextWriter.Null, CancellationToken.None);
        await new RepositoryPublisher(TimeProvider.System).PublishAsync(repository.Folder, manifestInside, TextWriter.Null, CancellationToken.None);

        await using var stream = File.OpenRead(manifestInside);
        var manifest = await ManifestReader.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(["b.deb", "contrib/x.deb", "main/x.deb"], manifest.Files.Select(f => f.Path));
        Assert.Equal(manifest.Files[1].Content, manifest.Files[2].Content);
    }

    [Fact]
    public async Task A_missing_folder_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            new RepositoryPublisher(TimeProvider.System).PublishAsync("/nonexistent/repo", "/tmp/x.json", TextWriter.Null, CancellationToken.None));
        Assert.Contains("/nonexistent/repo", error.Message, StringComparison.Ordinal);
    }
}

public sealed class RepositoryPublisherProgressTests
{
    [Fact]
    public async Task Progress_is_written_while_hashing()
    {
        using var repository = new TestRepository();
        repository.Add("a.deb", 100);
        repository.Add("b.deb", 100);
        using var progress = new StringWriter();
        await new RepositoryPublisher(TimeProvider.System) { ProgressInterval = TimeSpan.Zero }
            .PublishAsync(repository.Folder, repository.ManifestPath, progress, CancellationToken.None);
        Assert.Contains("publish: 1/2 files", progress.ToString(), StringComparison.Ordinal);
        Assert.Contains("publish: 2/2 files", progress.ToString(), StringComparison.Ordinal);
    }
}
