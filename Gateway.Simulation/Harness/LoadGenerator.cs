using System.Diagnostics;
using System.Security.Cryptography;

namespace Gateway.Simulation.Harness;

/// <summary>One customer request as the load generator saw it.</summary>
/// <param name="Path">The file asked for.</param>
/// <param name="Status">Final HTTP status (after following the redirect), 0 when the request failed.</param>
/// <param name="Bytes">Body bytes received.</param>
/// <param name="Sha256">Hex SHA-256 of the body.</param>
/// <param name="ServedBy">Authority (host:port) that sent the body.</param>
/// <param name="Seconds">Submission to last byte.</param>
/// <param name="Error">What went wrong, if anything.</param>
internal sealed record CustomerResult(string Path, int Status, long Bytes, string Sha256, string ServedBy, double Seconds, string? Error);

/// <summary>
/// Open-loop customers: Poisson arrivals at a fixed rate, each request started on time whether or not
/// earlier ones finished, asking the gateway and following its redirect itself (so it knows which
/// volunteer served), timing submission to last byte.
/// </summary>
internal sealed class LoadGenerator(Uri gateway, double requestsPerSecond, int seed)
{
    public async Task<IReadOnlyList<CustomerResult>> RunAsync(IReadOnlyList<string> paths, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var random = new Random(seed);
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 256 })
        {
            Timeout = TimeSpan.FromMinutes(5),
        };
        var clock = Stopwatch.StartNew();
        var at = 0.0;
        var running = new List<Task<CustomerResult>>(count);
        for (var i = 0; i < count; i++)
        {
            at += -Math.Log(1 - random.NextDouble()) / requestsPerSecond;
            var path = paths[random.Next(paths.Count)];
            var wait = TimeSpan.FromSeconds(at) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            running.Add(FetchAsync(client, path, cancellationToken));
        }

        return await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task<CustomerResult> FetchAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var url = new Uri(gateway, path);
        try
        {
            for (var hop = 0; hop < 5; hop++)
            {
                using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    continue;
                }

                var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var buffer = new byte[64 * 1024];
                    long total = 0;
                    int read;
                    while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        total += read;
                    }

                    return new CustomerResult(path, (int)response.StatusCode, total, Convert.ToHexStringLower(hash.GetHashAndReset()), url.Authority, clock.Elapsed.TotalSeconds, null);
                }
            }

            return new CustomerResult(path, 0, 0, string.Empty, url.Authority, clock.Elapsed.TotalSeconds, "too many redirects");
        }
        catch (HttpRequestException e)
        {
            return new CustomerResult(path, 0, 0, string.Empty, url.Authority, clock.Elapsed.TotalSeconds, e.Message);
        }
    }
}
