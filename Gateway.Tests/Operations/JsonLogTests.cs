using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Operations;

public sealed class JsonLogTests
{
    [Fact]
    public async Task The_json_console_formatter_writes_one_json_object_per_log_line()
    {
        using var repository = new TestRepository();
        repository.Add("pool/a.deb", 1000);
        await repository.PublishAsync();

        // The real executable, as ops run it, with the setting docs/operations.md gives.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "serve", "--urls", "http://127.0.0.1:0",
            $"--Catalog:Source={repository.ManifestPath}", "--Origin:Url=http://127.0.0.1:9/", "--Logging:Console:FormatterName=json",
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var lines = new List<string>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                using var entry = JsonDocument.Parse(line);
                if (entry.RootElement.GetProperty("Category").GetString() == "Gateway.Core.Catalog.CatalogReloadService")
                {
                    Assert.Contains("Catalog loaded", entry.RootElement.GetProperty("Message").GetString(), StringComparison.Ordinal);
                    Assert.Equal(1, entry.RootElement.GetProperty("State").GetProperty("Files").GetInt32());
                    return;
                }
            }

            Assert.Fail("the gateway exited before logging its catalog: " + string.Join('\n', lines) + await process.StandardError.ReadToEndAsync());
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
