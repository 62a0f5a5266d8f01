using System.Text.Json.Nodes;
using Gateway.Cli;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.ApacheImport;

public sealed class SampleConfigTests
{
    [Fact]
    public async Task The_sample_httpd_conf_imports_into_settings_the_gateway_accepts()
    {
        var sample = Path.Combine(RepositoryRoot(), "config", "apache", "httpd-balancer.conf");
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(0, await GatewayCommands.RunAsync(["import-apache", sample], output, errors));
        Assert.Contains("httpd-balancer.conf:21: <Location: not balancer configuration", errors.ToString(), StringComparison.Ordinal);
        Assert.Contains("httpd-balancer.conf:22: SetHandler: not balancer configuration", errors.ToString(), StringComparison.Ordinal);

        // As imported: no catalog, no origin, nothing added.
        var args = SettingsArguments.FromJson(JsonNode.Parse(output.ToString())!).ToArray();
        var app = GatewayHost.Build(args);
        await using (app)
        {
            var members = app.Services.GetRequiredService<BalancerMembers>().All;
            Assert.Equal([300, 100, 100, 100], members.Select(m => m.LbFactor));
            Assert.Equal(MemberStatus.HotStandby, members[2].AdminStatus);
            Assert.Equal(1, members[3].LbSet);
            Assert.Equal(TimeSpan.FromSeconds(30), members[0].Retry);
        }
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Gateway.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("Gateway.sln not found above the test output folder.");
    }
}
