using System.Globalization;
using Gateway.Core.Catalog;
using Gateway.Delivery;
using Microsoft.Extensions.Options;

namespace Gateway.Demo;

/// <summary>The <c>demo</c> subcommand: starts the embedded default and prints what to try.</summary>
public static class DemoCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var port = 8080;
        var data = Path.Combine(Path.GetTempPath(), "gateway-demo");
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--port" && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                port = p;
            }
            else if (args[i] == "--data")
            {
                data = args[i + 1];
            }
        }

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
