using Gateway.Delivery.Quarantine;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// Three full-mirror volunteers, v1 of which a test turns into a tamperer: a small file (verified whole) and a
/// file with per-chunk SHA-256 (64 KiB chunks), behind a real gateway.
/// </summary>
public sealed class TamperScenario : IAsyncDisposable
{
    public const string Tiny = "pool/main/t/tiny_1.0_all.deb";
    public const string Chunked = "pool/main/c/chunked_1.0_amd64.deb";
    public const string Release = "dists/stable/Release";
    public const int ChunkSize = 64 * 1024;

    private TamperScenario(TestRepository repository) => Repository = repository;

    public TestRepository Repository { get; }

    public GatewayUnderTest Gateway { get; private set; } = null!;

    public TestVolunteer Tamperer => Gateway["v1"];

    public QuarantineList Quarantine => Gateway.App.Services.GetRequiredService<QuarantineList>();

    public static async Task<TamperScenario> StartAsync(params string[] settings)
    {
        var repository = new TestRepository();
        repository.Add(Tiny, 40_000);
        repository.Add(Chunked, 300_000);
        repository.AddBytes(Release, "Suite: stable\n"u8.ToArray());
        await repository.PublishAsync(ChunkSize);
        var scenario = new TamperScenario(repository);
        var volunteers = new List<TestVolunteer>();
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            volunteers.Add(await TestVolunteer.StartAsync(id, repository.MirrorFolder(id, [Tiny, Chunked])));
        }

        string[] all = ["--Volunteers:0:Inventory=all", "--Volunteers:1:Inventory=all", "--Volunteers:2:Inventory=all"];
        scenario.Gateway = await GatewayUnderTest.StartAsync(repository, volunteers, [.. all, .. settings]);
        return scenario;
    }

    /// <summary>
    /// 17 parallel batches of 10 downloads (170), the quarantine cleared before each so the tamperer keeps being
    /// chosen; after every batch in which it tampered, it is quarantined exactly when <paramref name="offense"/>.
    /// </summary>
    public async Task RunBatchesAsync(VolunteerBehavior behavior, bool offense, Func<int, int, Task> download)
    {
        ArgumentNullException.ThrowIfNull(download);
        var tamperedBatches = 0;
        for (var batch = 0; batch < 17; batch++)
        {
            Quarantine.Clear("v1");
            var before = Tamperer.Tampered.GetValueOrDefault(behavior);
            await Task.WhenAll(Enumerable.Range(0, 10).Select(i => download(batch, i)));
            if (Tamperer.Tampered.GetValueOrDefault(behavior) > before)
            {
                tamperedBatches++;
                Assert.Equal(offense, Quarantine.Contains("v1"));
            }
        }

        Assert.True(tamperedBatches > 0, "the tamperer was never chosen, so nothing was tested");
    }

    public byte[] Read(string path) => Repository.Read(path);

    public string Url(string path) => $"{Gateway.Url}/{path}";

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        Repository.Dispose();
    }
}
