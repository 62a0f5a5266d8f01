using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Delivery.Metrics;

namespace Gateway.Demo;

/// <summary>
/// Where the demo's gateway sent its customers, per volunteer: totals by outcome and the requests of the last
/// minute, read from the gateway's own <c>gateway.requests</c> counter (the one <c>/metrics</c> exports), so the
/// status page and the traffic summary count what the request path counted.
/// </summary>
public sealed class DemoRequestCounter : IDisposable
{
    /// <summary>The name the counter gives requests that no volunteer served (the origin's, and refusals).</summary>
    public const string NoVolunteer = "none";

    private const string RequestsInstrument = "gateway.requests";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Volunteer, string Outcome), long> _totals = new();
    private readonly ConcurrentDictionary<string, Ring> _recent = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Listens to the meters of <c>meters</c>, the gateway's meter factory, only (tests run several gateways in one process).</summary>
    public DemoRequestCounter(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == RequestsInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnRequest);
        _listener.Start();
    }

    /// <summary>Requests sent to <paramref name="volunteer"/> (redirected or proxied) in the last minute.</summary>
    public int LastMinute(string volunteer) => _recent.TryGetValue(volunteer, out var ring) ? ring.Count(_time.GetUtcNow()) : 0;

    /// <summary>Requests counted so far with <paramref name="outcome"/> (<c>redirected</c>, <c>proxied</c>, <c>origin</c>…) for <paramref name="volunteer"/>.</summary>
    public long Total(string volunteer, string outcome) => _totals.GetValueOrDefault((volunteer, outcome));

    public void Dispose() => _listener.Dispose();

    private void OnRequest(Instrument instrument, long measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? volunteer = null;
        string? outcome = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "volunteer")
            {
                volunteer = tag.Value as string;
            }
            else if (tag.Key == "outcome")
            {
                outcome = tag.Value as string;
            }
        }

        if (volunteer is null || outcome is null)
        {
            return;
        }

        _totals.AddOrUpdate((volunteer, outcome), measurement, (_, total) => total + measurement);
        if (volunteer != NoVolunteer)
        {
            _recent.GetOrAdd(volunteer, _ => new Ring()).Add(_time.GetUtcNow(), measurement);
        }
    }

    /// <summary>Counts per second over the last minute: 60 slots, each remembering which second it holds.</summary>
    private sealed class Ring
    {
        private readonly long[] _seconds = new long[(int)Window.TotalSeconds];
        private readonly long[] _counts = new long[(int)Window.TotalSeconds];
        private readonly Lock _lock = new();

        public void Add(DateTimeOffset now, long count)
        {
            var second = now.ToUnixTimeSeconds();
            var slot = (int)(second % _seconds.Length);
            lock (_lock)
            {
                if (_seconds[slot] != second)
                {
                    _seconds[slot] = second;
                    _counts[slot] = 0;
                }

                _counts[slot] += count;
            }
        }

        public int Count(DateTimeOffset now)
        {
            var second = now.ToUnixTimeSeconds();
            long total = 0;
            lock (_lock)
            {
                for (var i = 0; i < _seconds.Length; i++)
                {
                    total += second - _seconds[i] < _seconds.Length ? _counts[i] : 0;
                }
            }

            return (int)total;
        }
    }
}
