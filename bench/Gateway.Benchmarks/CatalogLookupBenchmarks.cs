using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Gateway.Core.Catalog;

namespace Gateway.Benchmarks;

/// <summary>
/// Catalog lookup per request at distribution scale (issue 17): a catalog of 2.2 M Debian-pool paths, loaded
/// by streaming a generated manifest, and lookups of 1024 published paths in turn (beyond the CPU caches).
/// <c>Contains</c> is the hash index alone; <c>Find</c> adds the one small <see cref="CatalogEntry"/> view a request keeps.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 8)]
[MemoryDiagnoser]
public class CatalogLookupBenchmarks
{
    private RepositoryCatalog _catalog = null!;
    private string[] _paths = [];
    private int _next;

    [Params(2_200_000)]
    public int Files { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var file = Path.Combine(Path.GetTempPath(), $"catalog-lookup-{Files}.json");
        if (!File.Exists(file))
        {
            using var stream = File.Create(file);
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteNumber("format", 1);
            json.WriteString("generated", DateTimeOffset.UnixEpoch);
            json.WriteStartArray("files");
            Span<byte> seed = stackalloc byte[4];
            for (var i = 0; i < Files; i++)
            {
                BitConverter.TryWriteBytes(seed, i);
                var sha = Convert.ToHexStringLower(SHA256.HashData(seed));
                json.WriteStartObject();
                json.WriteString("path", PathOf(i));
                json.WriteNumber("size", 1000 + i);
                json.WriteString("sha256", sha);
                json.WriteString("content", sha);
                json.WriteNumber("modified", 0);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        using (var stream = File.OpenRead(file))
        {
            _catalog = ManifestReader.LoadAsync(stream, "bench", CancellationToken.None).GetAwaiter().GetResult();
        }

        var random = new Random(17);
        _paths = [.. Enumerable.Range(0, 1024).Select(_ => PathOf(random.Next(Files)))];
    }

    [Benchmark]
    public bool Contains() => _catalog.Contains(_paths[_next++ & 1023]);

    [Benchmark]
    public long Find() => _catalog.Find(_paths[_next++ & 1023])!.Size;

    private static string PathOf(int i) => $"pool/main/lib{(char)('a' + (i / 6 % 26))}{i / 6}/lib{(char)('a' + (i / 6 % 26))}{i / 6}_{i % 7}.{i % 13}-1_{i % 6}.deb";
}
