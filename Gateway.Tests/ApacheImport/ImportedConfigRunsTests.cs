using Gateway.Cli;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.ApacheImport;

/// <summary>import-apache's output started as it is, as an operator replacing httpd would: <c>serve --config imported.json</c>.</summary>
public sealed class ImportedConfigRunsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-imported").FullName;

    [Fact]
    public async Task The_imported_file_serves_unchanged_on_apaches_listen_address_and_balances_paths_no_catalog_names()
    {
        var volunteers = new List<TestVolunteer>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var files = Path.Combine(_folder, $"m{i}");
                Directory.CreateDirectory(Path.Combine(files, "app"));
                await File.WriteAllTextAsync(Path.Combine(files, "app", "page.html"), $"from m{i}");
                volunteers.Add(await TestVolunteer.StartAsync($"m{i}", files));
            }

            var port = TestPorts.Tcp();
            var conf = Path.Combine(_folder, "httpd.conf");
            await File.WriteAllTextAsync(conf, $"""
                Listen 127.0.0.1:{port}
                LoadModule proxy_module modules/mod_proxy.so
                <Proxy "balancer://app">
                    BalancerMember "http://127.0.0.1:{volunteers[0].Port}" loadfactor=1
                    BalancerMember "http://127.0.0.1:{volunteers[1].Port}" loadfactor=3
                    ProxySet lbmethod=byrequests
                </Proxy>
                ProxyPass "/" "balancer://app/"
                """);
            var imported = Path.Combine(_folder, "imported.json");
            using (var output = new StringWriter())
            using (var errors = new StringWriter())
            {
                Assert.True(await GatewayCommands.RunAsync(["import-apache", conf, "--out", imported], output, errors) == 0, errors.ToString());
            }

            await using var gateway = await GatewayProcess.ServeConfigAsync(imported);
            Assert.Equal(port, gateway.Url.Port);
            using var client = new HttpClient { BaseAddress = gateway.Url };
            var served = new List<string>();
            for (var n = 0; n < 8; n++)
            {
                using var response = await client.GetAsync(new Uri("app/page.html", UriKind.Relative));
                Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{gateway.Output}");
                served.Add(await response.Content.ReadAsStringAsync());
            }

            // byrequests with factors 1 and 3 (checked against httpd in the differential tests): m1 three times in four.
            Assert.Equal(["from m1", "from m0", "from m1", "from m1", "from m1", "from m0", "from m1", "from m1"], served);
        }
        finally
        {
            foreach (var volunteer in volunteers)
            {
                await volunteer.DisposeAsync();
            }
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
