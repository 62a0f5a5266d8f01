using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Selection;

public sealed class BalancerConfigurationTests
{
    [Fact]
    public async Task Invalid_apache_member_and_balancer_settings_are_refused_at_start_naming_the_key()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => BuildAndStartAsync(
            "--urls", "http://127.0.0.1:0", "--Origin:Url=http://127.0.0.1:9/", "--Catalog:Source=/nonexistent/manifest.json",
            "--Volunteers:0:Id=a", "--Volunteers:0:Url=http://127.0.0.1:9/", "--Volunteers:0:LoadFactor=101", "--Volunteers:0:Weight=3",
            "--Volunteers:1:Id=b", "--Volunteers:1:Url=http://127.0.0.1:9/", "--Volunteers:1:Status=+Q", "--Volunteers:1:LbSet=-1"));
        var messages = string.Join('\n', failure.Failures);
        Assert.Contains("Volunteers:0:LoadFactor 101 must be between 1 and 100", messages, StringComparison.Ordinal);
        Assert.Contains("Volunteers:0: set LoadFactor or Weight, not both", messages, StringComparison.Ordinal);
        Assert.Contains("Volunteers:1:Status '+Q': unknown status flag 'Q'", messages, StringComparison.Ordinal);
        Assert.Contains("Volunteers:1:LbSet -1", messages, StringComparison.Ordinal);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => BuildAndStartAsync(
            "--urls", "http://127.0.0.1:0", "--Origin:Url=http://127.0.0.1:9/", "--Catalog:Source=/nonexistent/manifest.json",
            "--Balancer:FailOnStatus:0=1000"));
        Assert.Contains("Balancer:FailOnStatus:0 1000 must be an HTTP status", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Member_settings_reload_from_the_config_file_without_a_restart_and_keep_the_counters()
    {
        var folder = Directory.CreateTempSubdirectory("gw-balancer-config").FullName;
        var file = Path.Combine(folder, "gateway.json");
        await File.WriteAllTextAsync(file, Config(loadFactor: 1, status: ""));
        try
        {
            var app = GatewayHost.Build(["--config", file]);
            await using (app)
            {
                var members = app.Services.GetRequiredService<BalancerMembers>();
                var a = members.Find("a")!;
                Assert.Equal((100, 0, MemberStatus.None), (a.LbFactor, a.LbSet, a.AdminStatus));
                a.Elected = 7;

                await File.WriteAllTextAsync(file, Config(loadFactor: 2.5, status: "+H"));
                await Eventually.HoldsAsync(() => members.Find("a")!.LbFactor == 250, TimeSpan.FromSeconds(10), () => $"lbfactor {members.Find("a")!.LbFactor}");
                a = members.Find("a")!;
                Assert.Equal((MemberStatus.HotStandby, 1, "r1", 7L), (a.AdminStatus, a.LbSet, a.Route, a.Elected));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task BuildAndStartAsync(params string[] args)
    {
        var app = GatewayHost.Build(args);
        await using (app)
        {
            await app.StartAsync();
        }
    }

    private static string Config(double loadFactor, string status) => $$"""
        {
          "Origin": { "Url": "http://127.0.0.1:9/" },
          "Catalog": { "Source": "/nonexistent/manifest.json" },
          "Volunteers": [
            { "Id": "a", "Url": "http://127.0.0.1:9/a/", "LoadFactor": {{loadFactor.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "Status": "{{status}}", "LbSet": {{(status.Length > 0 ? 1 : 0)}}, "Route": "{{(status.Length > 0 ? "r1" : "")}}" },
            { "Id": "b", "Url": "http://127.0.0.1:9/b/" }
          ]
        }
        """;
}
