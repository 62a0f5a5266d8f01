using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Delivery.Metrics;
using Microsoft.Extensions.DependencyInjection;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.EndToEnd;

public sealed class MetricsTests
{
    [Fact]
    public async Task Requests_are_counted_by_outcome_and_volunteer_and_selection_is_timed()
    {
        await using var s = await StartAsync("--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=65536");
        var counts = new ConcurrentDictionary<string, long>();
        var selections = 0L;
        using var listener = new MeterListener();
        // Only this gateway's meter: other tests' gateways run in the same process at the same time.
        var factory = s.Gateway.App.Services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "gateway.requests")
            {
                var outcome = tags.ToArray().Single(t => t.Key == "outcome").Value;
                var volunteer = tags.ToArray().Single(t => t.Key == "volunteer").Value;
                counts.AddOrUpdate($"{outcome}/{volunteer}", value, (_, old) => old + value);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "gateway.selection.duration")
            {
                Interlocked.Increment(ref selections);
            }
        });
        listener.Start();

        await s.Gateway.HoldAsync("v2", Big, Small);
        (await s.Gateway.Client.GetAsync(Big)).Dispose();
        (await s.Gateway.Client.GetAsync(Small)).Dispose();
        (await s.Gateway.Client.GetAsync(Unheld)).Dispose();
        (await s.Gateway.Client.GetAsync("pool%2Fmain/x.deb")).Dispose(); // HttpClient would resolve %2e%2e itself

        Assert.True(counts.Count == 4, string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(1, counts.GetValueOrDefault("redirected/v2"));
        Assert.Equal(1, counts.GetValueOrDefault("proxied/v2"));
        Assert.Equal(1, counts.GetValueOrDefault("origin/none"));
        Assert.Equal(1, counts.GetValueOrDefault("rejected/none"));
        Assert.Equal(2, Interlocked.Read(ref selections));
    }
}
