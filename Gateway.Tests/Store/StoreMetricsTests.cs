using System.Diagnostics.Metrics;
using Gateway.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Store;

public sealed class StoreMetricsTests
{
    [Fact]
    public void The_store_state_is_published_as_gauges_tagged_with_its_kind()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        var health = new StoreHealth(time) { Kind = StoreKind.Redis };
        health.ReadConnectionFrom(() => false);
        var meters = services.GetRequiredService<IMeterFactory>();
        _ = new StoreMetrics(health, meters);
        health.SnapshotTaken();
        health.SetPendingWrites(3);
        time.Advance(TimeSpan.FromSeconds(7));

        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                // Only this test's meter: gateways of tests running beside it publish the same instruments.
                if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Meter.Name == StoreMetrics.MeterName && instrument.Name.StartsWith("gateway.store.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(1, seen["gateway.store.following"]);
        Assert.Equal(7, seen["gateway.store.staleness"]);
        Assert.Equal(3, seen["gateway.store.pending_writes"]);

        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Assert.Contains(new KeyValuePair<string, object?>("kind", "redis"), tags.ToArray());
            seen[instrument.Name] = value;
        }
    }
}
