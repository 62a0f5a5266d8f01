using System.Globalization;
using System.Security.Cryptography;
using Gateway.Simulation.Model;
using Gateway.Tools.Publish;

namespace Gateway.Simulation.Real;

/// <summary>
/// The real run's repository: the customers' files (sizes at the quantiles of the paper's trace mix scaled down
/// by 4, or all one size) under <c>pool/</c>, and the synchronization batches under <c>sync/</c> that the
/// publisher adds while the run goes on. Published with the origin as web seed, as the gateway's publish does.
/// </summary>
internal sealed class ExperimentFiles
{
    // The paper's Section 2 bands (FileSizes: 4–256 KB 81%, 256 KB–4 MB 14%, 4–64 MB 5%) divided by 4, so a run fits in minutes.
    private const double Scale = 0.25;

    private readonly RepositoryPublisher _publisher;

    public ExperimentFiles(string root, Uri webSeed)
    {
        Root = root;
        Repository = Path.Combine(root, "repository");
        Directory.CreateDirectory(Repository);
        _publisher = new RepositoryPublisher(TimeProvider.System, new TorrentPublishOptions { WebSeed = webSeed });
    }

    public string Root { get; }

    public string Repository { get; }

    public string ManifestPath => Path.Combine(Repository, "manifest.json");

    /// <summary>Hex SHA-256 of every customer file, to check what customers received.</summary>
    public IReadOnlyDictionary<string, string> Sha256 => _sha256;

    private readonly Dictionary<string, string> _sha256 = new(StringComparer.Ordinal);

    /// <summary>The trace-like files customers ask for (100, by quantile of the mix).</summary>
    public IReadOnlyList<(string Path, long Size)> Trace { get; private set; } = [];

    /// <summary>The equal-size files customers ask for in the paper's equal-size case.</summary>
    public IReadOnlyList<(string Path, long Size)> Equal { get; private set; } = [];

    public static double TraceMeanBytes(int count = 100) => Enumerable.Range(0, count).Average(i => (double)SizeAt((i + 0.5) / count));

    /// <summary>The size at quantile <paramref name="q"/> of the scaled mix (each band log-uniform).</summary>
    public static long SizeAt(double q) => FileSizes.SizeAt(q, Scale);

    /// <summary>The trace-like files: 100, at the quantiles of the scaled mix, none above <paramref name="largest"/>.</summary>
    public static IReadOnlyList<(string Path, long Size)> TraceSet(long largest) =>
        [.. Enumerable.Range(0, 100).Select(i => Math.Min(largest, SizeAt((i + 0.5) / 100)))
            .Select((size, i) => (string.Create(CultureInfo.InvariantCulture, $"pool/main/t/trace-{i:D3}_{size}.deb"), size))];

    /// <summary>The equal-size files: 8 of <paramref name="size"/> bytes.</summary>
    public static IReadOnlyList<(string Path, long Size)> EqualSet(long size) =>
        [.. Enumerable.Range(0, 8).Select(i => (string.Create(CultureInfo.InvariantCulture, $"pool/main/e/equal-{i}.deb"), size))];

    /// <summary>Writes the customers' files (random bytes from the seed) and publishes them.</summary>
    public async Task CreateAsync(long equalSize, long largest, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var trace = TraceSet(largest);
        var equal = EqualSet(equalSize);
        foreach (var (path, size) in trace.Concat(equal))
        {
            _sha256[path] = await WriteAsync(path, size, random, cancellationToken).ConfigureAwait(false);
        }

        Trace = trace;
        Equal = equal;
        await PublishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds one synchronization batch (a new torrent every syncing volunteer fetches) and drops the batch <paramref name="keep"/> before it.</summary>
    public async Task AddSyncBatchAsync(int batch, long bytes, int keep, Random random, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(random);
        _ = await WriteAsync(string.Create(CultureInfo.InvariantCulture, $"sync/b{batch:D4}/update.bin"), bytes, random, cancellationToken).ConfigureAwait(false);
        var old = Path.Combine(Repository, "sync", string.Create(CultureInfo.InvariantCulture, $"b{batch - keep:D4}"));
        if (batch >= keep && Directory.Exists(old))
        {
            Directory.Delete(old, recursive: true);
        }

        await PublishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the customers' files into an agent's storage before it starts, so it only checks them instead of fetching them.</summary>
    public void Preload(string storage)
    {
        foreach (var (path, _) in Trace.Concat(Equal))
        {
            var target = Path.Combine(storage, "files", path);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(Repository, path), target, overwrite: true);
        }
    }

    public Task PublishAsync(CancellationToken cancellationToken) =>
        _publisher.PublishAsync(Repository, ManifestPath, TextWriter.Null, cancellationToken);

    private async Task<string> WriteAsync(string path, long size, Random random, CancellationToken cancellationToken)
    {
        var full = Path.Combine(Repository, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var buffer = new byte[64 * 1024];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var stream = File.Create(full);
        await using (stream.ConfigureAwait(false))
        {
            for (long left = size; left > 0; left -= buffer.Length)
            {
                random.NextBytes(buffer);
                var part = buffer.AsMemory(0, (int)Math.Min(buffer.Length, left));
                hash.AppendData(part.Span);
                await stream.WriteAsync(part, cancellationToken).ConfigureAwait(false);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
