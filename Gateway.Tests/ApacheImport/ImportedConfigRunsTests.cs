using Gateway.Cli;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.ApacheImport;

/// <summary>import-apache's output started as it is, as an operator replacing httpd would: <c>serve --config imported.json</c>.</summary>
public sealed class ImportedConfigRunsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gw-imported").FullName;

    /// <summary>
    /// <c>ProxyPass /shop/ balancer://app/</c>: httpd asks a member for the path below <c>/shop/</c>; the import's path
    /// base does the same, and answers 404 outside it, as httpd (with nothing else there) does.
    /// </summary>
    [Theory]
    [InlineData("/", "app/page.html")]
    [InlineData("/shop/", "shop/app/page.html")]
    public async Task The_imported_file_serves_unchanged_on_apaches_listen_address_and_balances_paths_no_catalog_names(string proxyPath, string requested)
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
                ProxyPass "{proxyPath}" "balancer://app/"
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
                using var response = await client.GetAsync(new Uri(requested, UriKind.Relative));
                Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{gateway.Output}");
                served.Add(await response.Content.ReadAsStringAsync());
            }

            // byrequests with factors 1 and 3 (checked against httpd in the differential tests): m1 three times in four.
            Assert.Equal(["from m1", "from m0", "from m1", "from m1", "from m1", "from m0", "from m1", "from m1"], served);
            if (proxyPath != "/")
            {
                using var outside = await client.GetAsync(new Uri("app/page.html", UriKind.Relative));
                Assert.Equal(System.Net.HttpStatusCode.NotFound, outside.StatusCode);
            }
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
