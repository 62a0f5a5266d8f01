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

/// <summary>One customer's request in a schedule: when (seconds after the start) and what.</summary>
internal readonly record struct Arrival(double At, string Path);

/// <summary>
/// Open-loop customers: Poisson arrivals at a fixed rate, each request started on time whether or not
/// earlier ones finished, asking the gateway and following its redirect itself (so it knows which
/// volunteer served), timing submission to last byte.
/// </summary>
internal sealed class LoadGenerator(Uri gateway, double requestsPerSecond, int seed)
{
    /// <summary>Each request carries its index in this header, so the gateway side can tell which volunteer it chose.</summary>
    public const string RequestHeader = "X-Experiment-Request";

    /// <summary>A request not done by then is recorded as failed (bounded runs).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Where each body's bytes are counted per volunteer as they are read (the experiment's byte-counter policy reads it), if anywhere.</summary>
    public CustomerMeter? Meter { get; init; }

    /// <summary>The Poisson schedule of <paramref name="count"/> requests for paths drawn uniformly from <paramref name="paths"/>: a pure function of the seed.</summary>
    public IReadOnlyList<Arrival> Schedule(IReadOnlyList<string> paths, int count)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var random = new Random(seed);
        var at = 0.0;
        var schedule = new Arrival[count];
        for (var i = 0; i < count; i++)
        {
            at += -Math.Log(1 - random.NextDouble()) / requestsPerSecond;
            schedule[i] = new Arrival(at, paths[random.Next(paths.Count)]);
        }

        return schedule;
    }

    public Task<IReadOnlyList<CustomerResult>> RunAsync(IReadOnlyList<string> paths, int count, CancellationToken cancellationToken) =>
        RunAsync(Schedule(paths, count), cancellationToken);

    /// <summary>Starts every request of the schedule on time (open loop), whether or not earlier ones finished.</summary>
    public async Task<IReadOnlyList<CustomerResult>> RunAsync(IReadOnlyList<Arrival> schedule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = 1024 })
        {
            Timeout = RequestTimeout,
        };
        var clock = Stopwatch.StartNew();
        var running = new List<Task<CustomerResult>>(schedule.Count);
        for (var i = 0; i < schedule.Count; i++)
        {
            var wait = TimeSpan.FromSeconds(schedule[i].At) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            running.Add(FetchAsync(client, i, schedule[i].Path, cancellationToken));
        }

        return await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task<CustomerResult> FetchAsync(HttpClient client, int index, string path, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var url = new Uri(gateway, path);
        CustomerMeter.Transfer transfer = default;
        try
        {
            for (var hop = 0; hop < 5; hop++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Add(RequestHeader, index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);

                    // Redirected to a volunteer: its transfer counts from now, not from its first byte (which waits behind its link's queue).
                    transfer = Meter?.Serve(transfer, index, url.Authority) ?? transfer;
                    continue;
                }

                transfer = Meter?.Serve(transfer, index, url.Authority) ?? transfer;

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
                        transfer.Received(read);
                    }

                    return new CustomerResult(path, (int)response.StatusCode, total, Convert.ToHexStringLower(hash.GetHashAndReset()), url.Authority, clock.Elapsed.TotalSeconds, null);
                }
            }

            return new CustomerResult(path, 0, 0, string.Empty, url.Authority, clock.Elapsed.TotalSeconds, "too many redirects");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new CustomerResult(path, 0, 0, string.Empty, url.Authority, clock.Elapsed.TotalSeconds, e.Message);
        }
        finally
        {
            transfer.End();
            Meter?.Settle(index);
        }
    }
}
