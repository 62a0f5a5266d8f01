using Gateway.Core.Catalog;
using Gateway.Core.Telemetry;
using Gateway.Delivery;
using Gateway.Delivery.Volunteers;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Operations;

public sealed class SampleConfigTests
{
    public static TheoryData<string> SampleAppSettings()
    {
        var data = new TheoryData<string>();
        foreach (var file in SampleNames())
        {
            data.Add(file);
        }

        return data;
    }

    [Fact]
    public void The_config_folder_ships_a_single_node_and_a_multi_gateway_sample()
    {
        var names = SampleNames();
        Assert.Contains("appsettings.single-node.json", names);
        Assert.Contains("appsettings.multi-gateway.json", names);
    }

    private static string[] SampleNames() =>
        [.. Directory.GetFiles(RepositoryFiles.PathOf("config"), "appsettings*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(SampleAppSettings))]
    public async Task Every_sample_appsettings_loads_and_passes_every_options_validator(string file)
    {
        var app = GatewayHost.Build(["--config", RepositoryFiles.PathOf(Path.Combine("config", file))]);
        await using (app)
        {
            // The same check the host runs at start for every options class registered with ValidateOnStart.
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            Assert.NotEmpty(app.Services.GetRequiredService<IOptions<CatalogOptions>>().Value.Source);
            Assert.NotEmpty(app.Services.GetRequiredService<IOptions<OriginOptions>>().Value.Url);
            Assert.NotEmpty(app.Services.GetRequiredService<IOptions<VolunteerSetOptions>>().Value.Members);
            Assert.StartsWith("/", app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsPath, StringComparison.Ordinal);
        }
    }
}
