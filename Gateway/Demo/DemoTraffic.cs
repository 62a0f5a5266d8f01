using System.Diagnostics;
using System.Globalization;
using Gateway.Core.Catalog;

namespace Gateway.Demo;

/// <summary>
/// Customer traffic for the demo (<c>demo --traffic SECONDS</c>): a few customers download random packages and images
/// from the gateway at once, following its redirects, for a bounded time; then one line per volunteer says how many
/// requests the gateway sent it.
/// </summary>
public static class DemoTraffic
{
    /// <summary>Customers downloading at once: enough to load the volunteers' uplinks, few enough for a shared laptop.</summary>
    public const int Customers = 4;

    /// <summary>The longest run accepted (an hour).</summary>
    public const int MaxSeconds = 3600;

    /// <summary>What the run did: downloads completed and failed.</summary>
    public sealed record Result(int Completed, int Failed);

    public static async Task<Result> RunAsync(DemoEnvironment demo, int seconds, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(demo);
        ArgumentNullException.ThrowIfNull(output);
        seconds = Math.Clamp(seconds, 1, MaxSeconds);
        var files = demo.Gateway.Services.GetRequiredService<CatalogState>().Current.Entries
            .Where(e => e.Path.StartsWith("pool/", StringComparison.Ordinal) || e.Path.StartsWith("iso/", StringComparison.Ordinal))
            .Select(e => e.EscapedPath)
            .ToArray();
        var counter = demo.Requests;
        var before = demo.Volunteers.ToDictionary(v => v.Id, v => Served(counter, v.Id));
        var originBefore = counter.Total(DemoRequestCounter.NoVolunteer, "origin");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"demo: {Customers} customers downloading from {demo.GatewayUrl} for {seconds} s (status: {new Uri(demo.GatewayUrl, DemoStatusPage.Path.TrimStart('/'))})")).ConfigureAwait(false);

        // Redirects are followed as curl -L does; each download is bounded so a stuck volunteer cannot hold the run.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        run.CancelAfter(TimeSpan.FromSeconds(seconds));
        var completed = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        var customers = Enumerable.Range(0, Customers).Select(n => Task.Run(
            async () =>
            {
                var random = new Random(n);
                while (!run.IsCancellationRequested)
                {
                    var path = files[random.Next(files.Length)];
                    try
                    {
                        using var response = await http.GetAsync(new Uri(demo.GatewayUrl, path), HttpCompletionOption.ResponseHeadersRead, run.Token).ConfigureAwait(false);
                        await using var body = await response.Content.ReadAsStreamAsync(run.Token).ConfigureAwait(false);
                        await body.CopyToAsync(Stream.Null, run.Token).ConfigureAwait(false);
                        Interlocked.Increment(ref response.IsSuccessStatusCode ? ref completed : ref failed);
                    }
                    catch (OperationCanceledException) when (run.IsCancellationRequested)
                    {
                        // The run is over; a download cut short by its end is not a failure.
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            },
            CancellationToken.None));
        await Task.WhenAll(customers).ConfigureAwait(false);

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"demo: traffic done: {completed} downloads in {clock.Elapsed.TotalSeconds:F0} s, {failed} failed. Requests the gateway sent to each volunteer:")).ConfigureAwait(false);
        foreach (var (id, _, holds) in demo.Volunteers)
        {
            var (redirected, proxied) = Served(counter, id);
            var served = redirected - before[id].Redirected + proxied - before[id].Proxied;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {id,-3} {served,6} requests ({redirected - before[id].Redirected} redirected, {proxied - before[id].Proxied} proxied)   {holds}")).ConfigureAwait(false);
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  origin {counter.Total(DemoRequestCounter.NoVolunteer, "origin") - originBefore,3} requests")).ConfigureAwait(false);
        return new Result(completed, failed);
    }

    private static (long Redirected, long Proxied) Served(DemoRequestCounter counter, string id) =>
        (counter.Total(id, "redirected"), counter.Total(id, "proxied"));
}
