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
        Assert.Equal("/images/", (string)settings["Gateway"]!["Routes"]![0]!["PathPrefix"]!);
        Assert.Contains("httpd.conf:11: ProxyPassReverse", errors, StringComparison.Ordinal);
        Assert.Contains("httpd.conf:10: ProxyPass /images/: imported as a Gateway:Routes prefix", errors, StringComparison.Ordinal);
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
        Assert.Contains("httpd.conf:2: Listen: not balancer configuration", errors, StringComparison.Ordinal);
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
