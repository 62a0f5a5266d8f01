using System.Net;
using Gateway.ClientProxy;
using Microsoft.AspNetCore.Builder;

namespace Gateway.Tests.Infrastructure;

/// <summary>A real <c>verify-proxy</c> on a loopback port (built as the subcommand builds it), and a client that uses it.</summary>
public sealed class VerifyProxyUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;

    private VerifyProxyUnderTest(WebApplication app)
    {
        _app = app;
        Address = VerifyProxyServer.Address(app);
        Client = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy(Address), UseProxy = true, AllowAutoRedirect = false });
    }

    public Uri Address { get; }

    /// <summary>An HttpClient configured with this proxy (it never follows redirects itself: the proxy must).</summary>
    public HttpClient Client { get; }

    public static async Task<VerifyProxyUnderTest> StartAsync(params string[] settings)
    {
        var app = VerifyProxyServer.Build(["--VerifyProxy:Listen=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", .. settings]);
        await app.StartAsync();
        return new VerifyProxyUnderTest(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
