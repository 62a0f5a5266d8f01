using System.Text.Json.Nodes;
using Gateway.Cli;

namespace Gateway.Tests.ApacheImport;

public sealed class ImportApacheTests : IDisposable
{
    // The failover example of Apache's reverse proxy guide (docs/manual/howto/reverse_proxy.html).
    private const string ManualFailover = """
        <Proxy balancer://myset>
            BalancerMember http://www2.example.com:8080
            BalancerMember http://www3.example.com:8080 loadfactor=3 timeout=1
            BalancerMember http://hstandby.example.com:8080 status=+H
            BalancerMember http://bkup1.example.com:8080 lbset=1
            BalancerMember http://bkup2.example.com:8080 lbset=1
            ProxySet lbmethod=byrequests
        </Proxy>

        ProxyPass "/images/"  "balancer://myset/"
        ProxyPassReverse "/images/"  "balancer://myset/"
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("gw-import").FullName;

    [Fact]
    public async Task The_manuals_failover_example_becomes_volunteers_with_their_factors_sets_and_standby()
    {
        var (code, json, errors) = await RunAsync(Write("httpd.conf", ManualFailover));
        Assert.True(code == 0, errors);
        var settings = JsonNode.Parse(json)!;
        var members = settings["Volunteers"]!.AsArray();
        Assert.Equal(
            ["www2.example.com-8080", "www3.example.com-8080", "hstandby.example.com-8080", "bkup1.example.com-8080", "bkup2.example.com-8080"],
            members.Select(m => (string)m!["Id"]!));
        Assert.Equal(3.0, (double)members[1]!["LoadFactor"]!);
        Assert.Equal("00:00:01", (string)members[1]!["Timeout"]!);
        Assert.Equal("+H", (string)members[2]!["Status"]!);
        Assert.Equal(1, (int)members[3]!["LbSet"]!);
        Assert.Equal("http://www2.example.com:8080/", (string)members[0]!["Url"]!);
        Assert.Equal("byrequests", (string)settings["Selection"]!["Policy"]!);
        Assert.Contains("httpd.conf:11: ProxyPassReverse", errors, StringComparison.Ordinal);

        // Apache asks a member for the path below /images/: the gateway's path base does the same (404 elsewhere, as httpd).
        Assert.Equal("/images", (string)settings["Gateway"]!["PathBase"]!);
        Assert.Null(settings["Gateway"]!["Routes"]);
        Assert.DoesNotContain("maps the path onto the target's path", errors, StringComparison.Ordinal);

        // httpd's default maxattempts: one failover per other member, so five tries.
        Assert.Equal(5, (int)settings["Proxy"]!["MaxAttempts"]!);
    }

    [Fact]
    public async Task The_import_runs_as_it_is_an_apache_balancer_with_no_catalog_origin_verification_or_health_checks_apache_lacks()
    {
        var (code, json, errors) = await RunAsync(Write("httpd.conf", ManualFailover));
        Assert.True(code == 0, errors);
        var settings = JsonNode.Parse(json)!.AsObject();
        Assert.False(settings.ContainsKey("Catalog"));
        Assert.False(settings.ContainsKey("Origin"));
        Assert.Equal("Apache", (string)settings["Proxy"]!["ErrorSemantics"]!);
        Assert.False((bool)settings["Verify"]!["Proxy"]!);
        Assert.False((bool)settings["Health"]!["ActiveEnabled"]!);
        Assert.False((bool)settings["Health"]!["PassiveEnabled"]!);
        Assert.DoesNotContain("Add Origin:Url", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mod_proxy_hcheck_parameters_become_the_health_section_and_what_differs_is_reported()
    {
        var (code, json, errors) = await RunAsync(Write("httpd.conf", """
            <Proxy balancer://app>
                BalancerMember http://h1:8080 hcmethod=HEAD hcinterval=3 hcfails=2 hcpasses=3 hcuri=/ping
                BalancerMember http://h2:8080 hcmethod=HEAD hcinterval=3 hcfails=2 hcpasses=3 hcuri=/ping
                BalancerMember http://h3:8080
            </Proxy>
            ProxyPass / balancer://app/
            """));
        Assert.True(code == 0, errors);
        var health = JsonNode.Parse(json)!["Health"]!;
        Assert.True((bool)health["ActiveEnabled"]!);
        Assert.False((bool)health["PassiveEnabled"]!);
        Assert.Equal("00:00:03", (string)health["Interval"]!);
        Assert.Equal(2, (int)health["ConsecutiveFailures"]!);
        Assert.Equal("/ping", (string)health["Path"]!);
        Assert.Contains("httpd.conf:2: hcmethod=HEAD: the gateway probes with GET", errors, StringComparison.Ordinal);
        Assert.Contains("httpd.conf:2: hcpasses=3: a volunteer marked down comes back after one good probe", errors, StringComparison.Ordinal);
        Assert.Contains("httpd.conf:4: hc* parameters: the gateway probes every volunteer alike", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("httpd.conf:3: hc*", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Listen 8080\nListen 10.0.0.1:81\n", "", "http://0.0.0.0:8080;http://10.0.0.1:81")]
    [InlineData("Listen 127.0.0.1:8080\nListen 127.0.0.1:9090\n", "127.0.0.1:9090", "http://127.0.0.1:9090")]
    [InlineData("Listen 127.0.0.1:8080\nListen 127.0.0.2:8080\nListen 9090\n", "*:8080", "http://127.0.0.1:8080;http://127.0.0.2:8080")]
    [InlineData("Listen [::1]:8080\n", "", "http://[::1]:8080")]
    public async Task Listen_and_the_balancers_virtual_host_become_the_gateways_urls(string listens, string virtualHost, string expected)
    {
        var proxyPass = "ProxyPass / balancer://app/\n";
        var conf = listens
            + "<Proxy balancer://app>\n BalancerMember http://h:1\n</Proxy>\n"
            + (virtualHost.Length == 0 ? proxyPass : $"<VirtualHost {virtualHost}>\n{proxyPass}</VirtualHost>\n");
        var (code, json, errors) = await RunAsync(Write("httpd.conf", conf));
        Assert.True(code == 0, errors);
        Assert.Equal(expected, (string)JsonNode.Parse(json)!["Urls"]!);
    }

    [Fact]
    public async Task Nofailover_pins_sticky_requests_only_and_keeps_apaches_failover_for_the_others()
    {
        var (code, json, errors) = await RunAsync(Write("httpd.conf", "<Proxy balancer://a>\n BalancerMember http://h:1\n BalancerMember http://h:2\n ProxySet nofailover=On\n</Proxy>\n"));
        Assert.True(code == 0, errors);
        var settings = JsonNode.Parse(json)!;
        Assert.True((bool)settings["Balancer"]!["NoFailover"]!);
        Assert.Equal(2, (int)settings["Proxy"]!["MaxAttempts"]!);
    }

    [Fact]
    public async Task Balancer_settings_map_to_one_gateway_setting_each_and_the_rest_is_reported_with_its_line()
    {
        var conf = Write("httpd.conf", """
            ServerRoot "ROOT"
            Listen 127.0.0.1:8080
            IncludeOptional conf.d/*.conf
            IncludeOptional missing/*.conf
            ProxyPass "/" "balancer://app/" stickysession=JSESSIONID
            """.Replace("ROOT", _folder, StringComparison.Ordinal));
        Write("conf.d/10-balancer.conf", """
            <Proxy "balancer://app">
                # a comment, and a continued line
                BalancerMember "http://127.0.0.1:8081" loadfactor=2.5 route=a \
                    retry=5 connectiontimeout=2 status=+I
                BalancerMember http://127.0.0.1:8082 status=-D+R
                ProxySet lbmethod=bybusyness maxattempts=2 failonstatus=500,503 failontimeout=On forcerecovery=Off
                Require all granted
            </Proxy>
            """);
        var (code, json, errors) = await RunAsync(conf);
        Assert.True(code == 0, errors);
        var settings = JsonNode.Parse(json)!;
        var member = settings["Volunteers"]![0]!;
        Assert.Equal((2.5, "a", "00:00:05", "+I"), ((double)member["LoadFactor"]!, (string)member["Route"]!, (string)member["Retry"]!, (string)member["Status"]!));
        Assert.Equal("+R", (string)settings["Volunteers"]![1]!["Status"]!);
        Assert.Equal("bybusyness", (string)settings["Selection"]!["Policy"]!);
        Assert.Equal(3, (int)settings["Proxy"]!["MaxAttempts"]!);
        Assert.Equal([500, 503], settings["Balancer"]!["FailOnStatus"]!.AsArray().Select(n => (int)n!));
        Assert.True((bool)settings["Balancer"]!["FailOnTimeout"]!);
        Assert.False((bool)settings["Balancer"]!["ForceRecovery"]!);
        Assert.Equal("Proxy", (string)settings["Gateway"]!["Mode"]!);
        Assert.Contains("10-balancer.conf:3: connectiontimeout=2: connection tuning", errors, StringComparison.Ordinal);
        Assert.Contains("10-balancer.conf:7: Require: inside balancer://app", errors, StringComparison.Ordinal);
        Assert.Equal("http://127.0.0.1:8080", (string)settings["Urls"]!);
        Assert.DoesNotContain("Listen", errors, StringComparison.Ordinal);
        Assert.Equal("JSESSIONID", (string)settings["Balancer"]!["StickySession"]!);
        Assert.DoesNotContain("stickysession", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<Proxy \"balancer://a\">\n BalancerMember http://h:1 loadfactor=101\n</Proxy>", "httpd.conf:2: loadfactor=101 must be between 1 and 100")]
    [InlineData("<Proxy \"balancer://a\">\n BalancerMember http://h:1 status=+Z\n</Proxy>", "httpd.conf:2: status=+Z: unknown status flag 'Z'")]
    [InlineData("<Proxy \"balancer://a\">\n BalancerMember ajp://h:8009\n</Proxy>", "httpd.conf:2: member URL 'ajp://h:8009' must be an absolute http://")]
    [InlineData("<Proxy \"balancer://a\">\n BalancerMember http://h:1\n ProxySet lbmethod=roundrobin\n</Proxy>", "httpd.conf:3: lbmethod=roundrobin is not one of byrequests")]
    [InlineData("<Proxy \"balancer://a\">\n BalancerMember http://h:1 loadfactor=abc\n</Proxy>", "loadfactor=abc is not a number")]
    [InlineData("<Proxy \"balancer://a\">\n BalancerMember http://h:1\n", "httpd.conf:1: <Proxy> is never closed")]
    [InlineData("<Proxy \"balancer://a\">\n BalancerMember \"http://h:1\n</Proxy>", "httpd.conf:2: unterminated \" quote")]
    [InlineData("</Proxy>", "httpd.conf:1: </Proxy> does not close a section")]
    [InlineData("<Proxy \"balancer://a\">\n</Location>", "does not close a section (expected </Proxy>")]
    [InlineData("Listen 80\n", "no <Proxy \"balancer://…\"> block or BalancerMember found")]
    [InlineData("<Proxy \"balancer://a\">\n ProxySet lbmethod=bytraffic\n</Proxy>", "balancer balancer://a has no BalancerMember")]
    [InlineData("<Proxy balancer://a>\n BalancerMember http://h:1\n</Proxy>\n<Proxy balancer://b>\n BalancerMember http://h:2\n</Proxy>", "2 balancers found (balancer://a, balancer://b)")]
    [InlineData("Include does-not-exist.conf", "httpd.conf:1: Include 'does-not-exist.conf' matches no file")]
    [InlineData("BalancerMember http://h:1", "httpd.conf:1: BalancerMember outside <Proxy")]
    [InlineData("<Proxy balancer://a>\n BalancerMember http://h:1 retry=-5\n</Proxy>", "retry=-5 must be between 0 and a day")]
    [InlineData("Listen localhost\n<Proxy balancer://a>\n BalancerMember http://h:1\n</Proxy>", "httpd.conf:1: Listen 'localhost' is not [IP:]port")]
    [InlineData("<Proxy balancer://a>\n BalancerMember http://h:1 hcmethod=PUT\n</Proxy>", "httpd.conf:2: hcmethod=PUT is not one of GET")]
    [InlineData("<Proxy balancer://a>\n BalancerMember http://h:1 hcmethod=GET hcinterval=soon\n</Proxy>", "httpd.conf:2: hcinterval=soon must be a positive number")]
    public async Task Invalid_input_is_refused_with_a_clear_message_and_exit_code_2(string config, string expected)
    {
        var (code, json, errors) = await RunAsync(Write("httpd.conf", config));
        Assert.Equal(2, code);
        Assert.Empty(json);
        Assert.Contains(expected, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_includes_itself_is_refused_instead_of_looping()
    {
        var conf = Write("httpd.conf", $"ServerRoot {_folder}\nInclude loop/*.conf\n");
        Write("loop/a.conf", $"Include {_folder}/httpd.conf\n");
        var (code, _, errors) = await RunAsync(conf);
        Assert.Equal(2, code);
        Assert.Contains("includes itself", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_garbage_is_refused_as_not_a_configuration()
    {
        var conf = Path.Combine(_folder, "httpd.conf");
        await File.WriteAllBytesAsync(conf, [0x3c, 0x50, 0x00, 0xff, 0xfe, 0x0a, 0x00]);
        var (code, _, errors) = await RunAsync(conf);
        Assert.Equal(2, code);
        Assert.Contains("NUL byte", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_several_balancers_the_one_named_is_imported_and_the_others_are_reported()
    {
        var conf = Write("httpd.conf", "<Proxy balancer://a>\n BalancerMember http://h:1\n</Proxy>\n<Proxy balancer://b>\n BalancerMember http://h:2\n</Proxy>\n");
        var (code, json, errors) = await RunAsync(conf, "--balancer", "b");
        Assert.True(code == 0, errors);
        Assert.Equal("http://h:2/", (string)JsonNode.Parse(json)!["Volunteers"]![0]!["Url"]!);
        Assert.Contains("httpd.conf:1: balancer://a: not imported", errors, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Code, string Json, string Errors)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await GatewayCommands.RunAsync(["import-apache", .. args], output, errors);
        return (code, output.ToString(), errors.ToString());
    }
}
