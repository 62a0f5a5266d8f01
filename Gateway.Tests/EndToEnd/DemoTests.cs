using System.Security.Cryptography;
using Gateway.Core.Catalog;
using Gateway.Demo;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_serves_every_sample_file_with_its_published_bytes()
    {
        var data = Path.Combine(Path.GetTempPath(), "gw-tests", "demo-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var demo = await DemoEnvironment.StartAsync(data, 0, TextWriter.Null, CancellationToken.None);
            var description = DemoCommand.Describe(demo);
            Assert.Contains("curl", description, StringComparison.Ordinal);

            var catalog = demo.Gateway.Services.GetRequiredService<CatalogState>().Current;
            Assert.Equal(SampleRepository.SmallFiles + SampleRepository.MediumFiles + SampleRepository.LargeFiles + SampleRepository.Duplicates + 2, catalog.Count);
            using var client = new HttpClient();
            var redirected = 0;
            foreach (var entry in catalog.Entries.Where((_, i) => i % 10 == 0))
            {
                var output = Path.Combine(data, "download.out");
                var curl = await CommandLine.CurlAsync("-L", "-o", output, "-w", "%{num_redirects}", new Uri(demo.GatewayUrl, entry.EscapedPath).ToString());
                redirected += curl.Stdout == "1" ? 1 : 0;
                Assert.Equal(entry.Sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(output))));
            }

            Assert.True(redirected > 0, "no sample file was redirected to a volunteer");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
