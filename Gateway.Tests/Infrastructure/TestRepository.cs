using Gateway.Tools.Publish;

namespace Gateway.Tests.Infrastructure;

/// <summary>A temporary repository folder with files of chosen sizes, published to a manifest.</summary>
public sealed class TestRepository : IDisposable
{
    private readonly Random _random = new(7);

    public TestRepository()
    {
        Root = Path.Combine(Path.GetTempPath(), "gw-tests", Guid.NewGuid().ToString("N"));
        Folder = Path.Combine(Root, "origin");
        Directory.CreateDirectory(Folder);
        ManifestPath = Path.Combine(Root, "manifest.json");
    }

    /// <summary>Holds the test's folders: the origin's files and each volunteer's copy.</summary>
    public string Root { get; }

    /// <summary>The origin's files.</summary>
    public string Folder { get; }

    public string ManifestPath { get; }

    public byte[] Add(string path, int size)
    {
        var bytes = new byte[size];
        _random.NextBytes(bytes);
        AddBytes(path, bytes);
        return bytes;
    }

    public void AddBytes(string path, byte[] bytes)
    {
        var full = Path.Combine(Folder, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
    }

    public byte[] Read(string path) => File.ReadAllBytes(Path.Combine(Folder, path));

    /// <summary>Publishes the manifest; files larger than <paramref name="chunkSize"/> get per-chunk SHA-256.</summary>
    public Task<PublishResult> PublishAsync(int chunkSize = RepositoryPublisher.DefaultChunkSize) =>
        new RepositoryPublisher(TimeProvider.System) { ChunkSize = chunkSize }.PublishAsync(Folder, ManifestPath, TextWriter.Null, CancellationToken.None);

    /// <summary>Copies the given paths into a volunteer's own folder (it holds its own bytes).</summary>
    public string MirrorFolder(string volunteerId, IEnumerable<string> paths)
    {
        var folder = Path.Combine(Root, volunteerId);
        Directory.CreateDirectory(folder);
        foreach (var path in paths)
        {
            var target = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(Folder, path), target, overwrite: true);

            // An hour old, so conditional requests dated "now" are deterministic to the second.
            File.SetLastWriteTimeUtc(target, DateTime.UtcNow.AddHours(-1));
        }

        return folder;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A server still closing a file must not fail the test; the temp folder is cleaned by the OS.
        }
    }
}
