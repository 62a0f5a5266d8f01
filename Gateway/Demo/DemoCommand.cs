using Gateway.Core.Catalog;
using Gateway.Delivery;
using Microsoft.Extensions.Options;

namespace Gateway.Demo;

/// <summary>The <c>demo</c> subcommand: starts the embedded default and prints what to try.</summary>
public static class DemoCommand
{
    /// <summary>Runs the demo until the gateway's host stops (Ctrl-C) or <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="port">the gateway's port on loopback.</param>
    /// <param name="data">where the sample repository is written.</param>
    /// <param name="trafficSeconds">seconds of generated customer traffic; 0 for none (not generated yet).</param>
    /// <param name="output">where the URLs and commands to try are written.</param>
    /// <param name="cancellationToken">stops the demo.</param>
    public static async Task<int> RunAsync(int port, string data, int trafficSeconds, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(output);
        _ = trafficSeconds;
        await using var demo = await DemoEnvironment.StartAsync(data, port, output, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Describe(demo)).ConfigureAwait(false);

        // The gateway's host owns Ctrl-C and SIGTERM: when it begins to stop, the whole demo stops.
        var lifetime = demo.Gateway.Services.GetRequiredService<IHostApplicationLifetime>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await output.WriteLineAsync("demo: stopping").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The URLs and ready-to-paste commands for a running demo.</summary>
    public static string Describe(DemoEnvironment demo)
    {
        ArgumentNullException.ThrowIfNull(demo);
        var g = demo.GatewayUrl.ToString().TrimEnd('/');
        var catalog = demo.Gateway.Services.GetRequiredService<CatalogState>().Current;
        var threshold = demo.Gateway.Services.GetRequiredService<IOptionsMonitor<GatewayOptions>>().CurrentValue.SmallFileThreshold;
        var packages = catalog.Entries.Where(e => e.Path.StartsWith("pool/main/", StringComparison.Ordinal)).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var iso = catalog.Entries.Where(e => e.Path.StartsWith("iso/", StringComparison.Ordinal)).Min(e => e.Path);
        var small = packages.First(e => e.Size < threshold).Path;
        var medium = packages.First(e => e.Size >= threshold && e.Path.StartsWith("pool/main/0/", StringComparison.Ordinal)).Path;
        var lines = new List<string>
        {
            string.Empty,
            $"Gateway   {g}/   (redirect mode, in-memory store)",
            $"Origin    {demo.OriginUrl}",
        };
        lines.AddRange(demo.Volunteers.Select(v => $"Volunteer {v.Id,-3} {v.Url}   holds {v.Holds}"));
        lines.AddRange(
        [
            string.Empty,
            "Try:",
            $"  curl -sSL -o /dev/null -w '%{{http_code}} %{{size_download}} bytes via %{{url_effective}}\\n' {g}/{iso}   # large: redirected to v1 or v3",
            $"  curl -sS -D - -o /dev/null {g}/{iso}                                                  # the 302 with Repr-Digest",
            $"  curl -sSL -o /dev/null -w '%{{http_code}} %{{size_download}} bytes via %{{url_effective}}\\n' {g}/{medium}   # held by v1 and v2",
            $"  curl -sS -o /dev/null -w '%{{http_code}} %{{size_download}} bytes\\n' {g}/{small}      # small: proxied, no redirect",
            $"  curl -sSL -r 0-99 -o /dev/null -w '%{{http_code}} %{{size_download}} bytes\\n' {g}/{iso}   # a Range request",
            $"  curl -sS {g}/dists/stable/Release                                                      # metadata: always from the origin",
            $"  curl -sS -o /dev/null -w '%{{http_code}}\\n' '{g}/pool/%2e%2e/%2e%2e/etc/passwd'              # hostile path: 400",
            string.Empty,
            "Press Ctrl-C to stop.",
        ]);
        return string.Join(Environment.NewLine, lines);
    }
}
