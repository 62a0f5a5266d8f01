using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Gateway.Tools.ApacheImport;

namespace Gateway.Tests.Differential;

/// <summary>
/// The same real volunteers (Kestrel) behind a real Apache httpd balancer and behind the gateway configured
/// from that httpd.conf by import-apache, its output unchanged (no catalog, no origin), and a way to send the same requests through each and
/// see which member served every one.
/// </summary>
public sealed class ApacheDifferentialRig : IAsyncDisposable
{
    public const string File = "pool/main/a/app_1.0_amd64.deb";

    private readonly TestRepository _repository;
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private ApacheDifferentialRig(TestRepository repository, IReadOnlyList<TestVolunteer> volunteers, ApacheHttpd apache, GatewayUnderTest gateway, string importLog)
    {
        _repository = repository;
        Volunteers = volunteers;
        Apache = apache;
        Gateway = gateway;
        ImportLog = importLog;
    }

    public IReadOnlyList<TestVolunteer> Volunteers { get; }

    public ApacheHttpd Apache { get; }

    public GatewayUnderTest Gateway { get; }

    /// <summary>What import-apache reported as not carried over.</summary>
    public string ImportLog { get; }

    /// <summary>Starts volunteers m0, m1, … with the given BalancerMember parameters, httpd with them, and the gateway from the import.</summary>
    public static Task<ApacheDifferentialRig> StartAsync(string balancerParameters, params string[] memberParameters) =>
        StartAsync(balancerParameters, memberParameters, ownAddresses: false, extraConfig: string.Empty);

    /// <summary>
    /// As above; with <paramref name="ownAddresses"/> member i listens on 127.0.0.(i+2) instead of 127.0.0.1 (Apache's
    /// heartbeat lbmethod tells members apart by address only), and <paramref name="extraConfig"/> goes before the balancer.
    /// </summary>
    public static async Task<ApacheDifferentialRig> StartAsync(string balancerParameters, string[] memberParameters, bool ownAddresses, string extraConfig)
    {
        ArgumentNullException.ThrowIfNull(memberParameters);
        var repository = new TestRepository();
        repository.Add(File, 20_000);
        await repository.PublishAsync();
        var volunteers = new List<TestVolunteer>();
        for (var i = 0; i < memberParameters.Length; i++)
        {
            var address = ownAddresses ? new System.Net.IPAddress([127, 0, 0, (byte)(i + 2)]) : null;
            volunteers.Add(await TestVolunteer.StartAsync($"m{i}", repository.MirrorFolder($"m{i}", [File]), address));
        }

        var block = string.Join('\n', [
            extraConfig,
            "<Proxy \"balancer://app\">",
            .. memberParameters.Select((p, i) => $"    BalancerMember \"http://{volunteers[i].Address}:{volunteers[i].Port}\" {p}"),
            $"    ProxySet {balancerParameters}",
            "</Proxy>",
            "ProxyPass \"/\" \"balancer://app/\"",
        ]);
        var apache = await ApacheHttpd.StartAsync(block);

        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await ImportApacheCommand.RunAsync(new ImportApacheRequest(apache.ConfigPath), output, errors, CancellationToken.None);
        Assert.True(code == 0, errors.ToString());
        // Apache's Listen is httpd's own port here: the gateway takes a free one beside it.
        var settings = SettingsArguments.FromJson(JsonNode.Parse(output.ToString())!).Where(s => !s.StartsWith("--Urls=", StringComparison.Ordinal)).ToList();

        // The import as it is: no catalog and no origin (the test bed adds both for its other tests).
        settings.Add("--Catalog:Source=");
        settings.Add("--Origin:Url=");
        // Without a catalog every member counts as holding every path, as in Apache: nothing to announce.
        var gateway = await GatewayUnderTest.StartAsync(repository, volunteers, [.. settings]);

        return new ApacheDifferentialRig(repository, volunteers, apache, gateway, errors.ToString());
    }

    /// <summary>Sends <paramref name="count"/> sequential requests for the file; each entry names the member that served it ("origin" or "-" for none).</summary>
    public async Task<string[]> SequenceAsync(Uri baseUrl, int count)
    {
        var served = new string[count];
        for (var n = 0; n < count; n++)
        {
            served[n] = await OneAsync(baseUrl);
        }

        return served;
    }

    public Task<string[]> ThroughApacheAsync(int count) => SequenceAsync(Apache.BaseUrl, count);

    public Task<string[]> ThroughGatewayAsync(int count) => SequenceAsync(new Uri(Gateway.Url + "/"), count);

    public async Task<string> OneAsync(Uri baseUrl) => await OneAsync(baseUrl, query: string.Empty, cookie: null);

    /// <summary>One request for the file with a query string and a Cookie header (sticky sessions).</summary>
    public async Task<string> OneAsync(Uri baseUrl, string query, string? cookie)
    {
        var before = Volunteers.Select(v => v.Hits.Count).ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, File + query));
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            return "-";
        }

        Assert.Equal(_repository.Read(File), body);
        for (var i = 0; i < Volunteers.Count; i++)
        {
            // A failed attempt on a stopped member leaves no hit; the member that served has exactly one more.
            if (Volunteers[i].Hits.Count > before[i] && Volunteers[i].Behavior == VolunteerBehavior.Serve)
            {
                return $"m{i}";
            }
        }

        return "origin";
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await Apache.DisposeAsync();
        await Gateway.DisposeAsync();
        _repository.Dispose();
    }
}
