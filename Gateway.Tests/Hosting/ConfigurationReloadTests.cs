using System.Net;
using Gateway.Core.Hosting;
using Gateway.Delivery.Volunteers;
using Gateway.Tests.EndToEnd;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosting;

/// <summary>What an operator's edit of appsettings does to a running gateway.</summary>
public sealed class ConfigurationReloadTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "gw-tests", "reload-" + Guid.NewGuid().ToString("N") + ".json");

    [Fact]
    public async Task An_invalid_edit_is_refused_with_the_last_valid_settings_kept_and_a_later_valid_edit_applies()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        await File.WriteAllTextAsync(_file, Weight(3));
        await using var s = await DownloadScenario.StartAsync(
            builder => builder.Configuration.AddJsonFile(_file, optional: false, reloadOnChange: true),
            "--Gateway:Mode=Redirect");
        await s.Gateway.HoldAsync("v1", DownloadScenario.Big);
        var directory = s.Gateway.App.Services.GetRequiredService<VolunteerDirectory>();
        Assert.Equal(3, directory.Find("v1")!.Weight);

        // A typo: a weight out of range. The gateway keeps serving on the settings it had.
        await File.WriteAllTextAsync(_file, Weight(-5));
        var monitor = s.Gateway.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<VolunteerSetOptions>>();
        var status = s.Gateway.App.Services.GetRequiredService<ConfigurationReloadStatus>();
        await Eventually.HoldsAsync(() => status.Refused == 1, TimeSpan.FromSeconds(10), () => "the edit was not read");
        Assert.Equal(3, monitor.CurrentValue.Members[0].Weight);
        Assert.Equal(3, directory.Find("v1")!.Weight);
        var exposition = await s.Gateway.Client.GetStringAsync("/metrics");
        Assert.Matches(@"(?m)^gateway_config_refused(\{[^}]*\})? 1( |$)", exposition);
        using (var response = await s.Gateway.Client.GetAsync(DownloadScenario.Big))
        {
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        }

        // The fix applies without a restart.
        await File.WriteAllTextAsync(_file, Weight(7));
        await Eventually.HoldsAsync(() => directory.Find("v1")!.Weight == 7, TimeSpan.FromSeconds(10), () => $"weight is {directory.Find("v1")!.Weight}");
        Assert.Equal(0, status.Refused);
    }

    [Fact]
    public async Task A_volunteer_given_an_inventory_by_an_edit_holds_it_at_once_not_at_the_next_refresh_and_the_metrics_say_so()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        await File.WriteAllTextAsync(_file, """{ "Volunteers": [ { "Weight": 1 } ] }""");
        await using var s = await DownloadScenario.StartAsync(
            builder => builder.Configuration.AddJsonFile(_file, optional: false, reloadOnChange: true),
            "--Gateway:Mode=Redirect", "--Gateway:InventoryRefresh=00:10:00");
        var view = s.Gateway.App.Services.GetRequiredService<Gateway.State.Views.HoldingsView>();
        Assert.Equal(0, view.HoldingsOf("v1"));

        await File.WriteAllTextAsync(_file, """{ "Volunteers": [ { "Weight": 1, "Inventory": "all" } ] }""");
        await Eventually.HoldsAsync(() => view.HoldingsOf("v1") == 5, TimeSpan.FromSeconds(10), () => $"v1 holds {view.HoldingsOf("v1")}");
        var exposition = await s.Gateway.Client.GetStringAsync("/metrics");
        Assert.Matches("""(?m)^gateway_volunteer_holdings(_files)?\{[^}]*volunteer="v1"[^}]*\} 5( |$)""", exposition);
        Assert.Matches("""(?m)^gateway_volunteer_inventory_age_seconds\{[^}]*volunteer="v1"[^}]*\} """, exposition);
        Assert.DoesNotMatch("(?m)^gateway_volunteer_inventory_age_seconds\\{[^}]*volunteer=\"v2\"", exposition);
    }

    public void Dispose() => File.Delete(_file);

    private static string Weight(int weight) => $$"""{ "Volunteers": [ { "Weight": {{weight}} } ] }""";
}
