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
    /// <param name="trafficSeconds">seconds of generated customer traffic; 0 for none; otherwise customers download from the demo for that long once it is up, and a summary per volunteer follows.</param>
    /// <param name="output">where the URLs and commands to try are written.</param>
    /// <param name="cancellationToken">stops the demo.</param>
    public static async Task<int> RunAsync(int port, string data, int trafficSeconds, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(output);
        if (trafficSeconds < 0 || trafficSeconds > DemoTraffic.MaxSeconds)
        {
            await output.WriteLineAsync($"demo: --traffic takes 0 (none) to {DemoTraffic.MaxSeconds} seconds.").ConfigureAwait(false);
            return 2;
        }

        await using var demo = await DemoEnvironment.StartAsync(data, port, output, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Describe(demo)).ConfigureAwait(false);

        // The gateway's host owns Ctrl-C and SIGTERM: when it begins to stop, the whole demo stops.
        var lifetime = demo.Gateway.Services.GetRequiredService<IHostApplicationLifetime>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            if (trafficSeconds > 0)
            {
                await DemoTraffic.RunAsync(demo, trafficSeconds, output, stop.Token).ConfigureAwait(false);
                await output.WriteLineAsync("Press Ctrl-C to stop.").ConfigureAwait(false);
            }

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
            $"Tracker   {demo.TrackerUrl}announce/<key>   (the volunteers announce here with their load, every few seconds)",
            $"Status    {demo.StatusUrl}   (per volunteer: files held, reported load and its age, requests in the last minute, health)",
            $"Origin    {demo.OriginUrl}",
        };
        lines.AddRange(demo.Volunteers.Select(v => $"Volunteer {v.Id,-3} {v.Url}   holds {v.Holds}"));
        lines.AddRange(
        [
            string.Empty,
            "Try:",
            $"  curl -sSL -o /dev/null -w '%{{http_code}} %{{size_download}} bytes via %{{url_effective}}\\n' {g}/{iso}   # large: redirected to v1 or v3",
            $"  curl -sS -D - -o /dev/null {g}/{iso}                                                  # the 302 with Repr-Digest",
            $"  curl -sSL -o /dev/null -w '%{{http_code}} %{{size_download}} bytes via %{{url_effective}}\\n' {g}/{medium}   # a package: redirected to the least loaded of its holders",
            $"  curl -sS -o /dev/null -w '%{{http_code}} %{{size_download}} bytes\\n' {g}/{small}      # small: proxied, no redirect",
            $"  curl -sSL -r 0-99 -o /dev/null -w '%{{http_code}} %{{size_download}} bytes\\n' {g}/{iso}   # a Range request",
            $"  curl -sS {g}/dists/stable/Release                                                      # metadata: always from the origin",
            $"  curl -sS -o /dev/null -w '%{{http_code}}\\n' '{g}/pool/%2e%2e/%2e%2e/etc/passwd'              # hostile path: 400",
            string.Empty,
            "Traffic for a minute (watch the status page: load reports change and the policy steers around the busy volunteer):",
            $"  end=$((SECONDS+60)); while [ $SECONDS -lt $end ]; do for f in {iso} {medium} {packages[^1].Path} {small}; do curl -sSL -o /dev/null {g}/$f & done; wait; done",
            "  or start the demo with customers built in: dotnet run --project Gateway -- demo --traffic 60",
            string.Empty,
            "Press Ctrl-C to stop.",
        ]);
        return string.Join(Environment.NewLine, lines);
    }
}
