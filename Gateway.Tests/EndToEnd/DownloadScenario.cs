using System.Security.Cryptography;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// The repository most end-to-end tests use: a file large enough to redirect, a small one, one nobody
/// holds, an image, and apt metadata; three real volunteers that each keep a full copy on disk (what the
/// store says they hold is up to the test).
/// </summary>
public sealed class DownloadScenario : IAsyncDisposable
{
    public const string Big = "pool/main/a/app_1.0_amd64.deb";
    public const string Small = "pool/main/s/small_1.0_all.deb";
    public const string Unheld = "pool/main/u/unheld_2.0_amd64.deb";
    public const string Image = "iso/image.iso";
    public const string Release = "dists/stable/Release";

    private DownloadScenario(TestRepository repository) => Repository = repository;

    public TestRepository Repository { get; }

    public GatewayUnderTest Gateway { get; private set; } = null!;

    public static Task<DownloadScenario> StartAsync(params string[] settings) => StartAsync(configure: null, settings);

    public static async Task<DownloadScenario> StartAsync(Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure, params string[] settings)
    {
        var repository = new TestRepository();
        repository.Add(Big, 300_000);
        repository.Add(Small, 10_000);
        repository.Add(Unheld, 200_000);
        repository.Add(Image, 2_000_000);
        repository.AddBytes(Release, "Suite: stable\n"u8.ToArray());
        await repository.PublishAsync();
        var scenario = new DownloadScenario(repository);
        var all = new[] { Big, Small, Unheld, Image, Release };
        var volunteers = new List<TestVolunteer>();
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            volunteers.Add(await TestVolunteer.StartAsync(id, repository.MirrorFolder(id, all)));
        }

        scenario.Gateway = await GatewayUnderTest.StartAsync(repository, volunteers, configure, settings);
        return scenario;
    }

    public string Url(string path) => $"{Gateway.Url}/{path}";

    public string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(Repository.Read(path)));

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        Repository.Dispose();
    }
}
