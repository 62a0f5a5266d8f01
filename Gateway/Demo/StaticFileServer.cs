using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.FileProviders;

namespace Gateway.Demo;

/// <summary>
/// A plain HTTP file server on loopback (Kestrel static files: Range, HEAD, conditional requests): the
/// demo's origin and volunteers. Serves its inventory at <c>/.well-known/mirror-inventory</c> and a probe at <c>/healthz</c>.
/// </summary>
public sealed class StaticFileServer : IAsyncDisposable
{
    public const string InventoryPath = "/.well-known/mirror-inventory";

    private readonly WebApplication _app;

    private StaticFileServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The server's base URL, ending with '/'.</summary>
    public Uri BaseUrl { get; }

    public int Port => BaseUrl.Port;

    /// <summary>
    /// Starts serving <paramref name="root"/> on 127.0.0.1 (port 0 picks a free one); <paramref name="meter"/> counts (and may limit)
    /// what it sends, <paramref name="transfers"/> measures the customer transfers in progress.
    /// </summary>
    public static Task<StaticFileServer> StartAsync(string root, int port, CancellationToken cancellationToken, ResponseMeter? meter = null, TransferGauge? transfers = null) =>
        StartAsync(root, IPAddress.Loopback, port, cancellationToken, meter, transfers);

    /// <summary>As above on <paramref name="listenAddress"/> (e.g. the host's end of a private test network).</summary>
    public static async Task<StaticFileServer> StartAsync(string root, IPAddress listenAddress, int port, CancellationToken cancellationToken, ResponseMeter? meter = null, TransferGauge? transfers = null)
    {
        var fullRoot = Path.GetFullPath(root);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(listenAddress, port));
        var app = builder.Build();
        meter?.Attach(app);

        // After the meter, so a byte counts as sent once the (possibly limited) uplink took it.
        transfers?.Attach(app);
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet(InventoryPath, () => Results.Text(string.Join('\n', ListFiles(fullRoot)) + "\n"));
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(fullRoot),
            ServeUnknownFileTypes = true,
            DefaultContentType = "application/octet-stream",
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StaticFileServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static IEnumerable<string> ListFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);
}
