using System.Collections.Concurrent;

namespace Gateway.Simulation.Harness;

/// <summary>
/// What the customers are receiving from each volunteer, counted by the load generator as it reads: body bytes so far
/// and transfers in flight, per volunteer, plus the picks a policy made whose transfer has not begun yet. A request is
/// attributed by the authority that serves it, through <paramref name="resolve"/> (request index, host:port → volunteer
/// id, or null when unknown). The hot path is one <see cref="Interlocked"/> add per chunk read.
/// </summary>
internal sealed class CustomerMeter(IReadOnlyList<string> ids, Func<int, string, string?> resolve)
{
    private readonly Dictionary<string, int> _slots = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
    private readonly long[] _bytes = new long[ids.Count];
    private readonly int[] _inFlight = new int[ids.Count];
    private readonly int[] _pending = new int[ids.Count];
    private readonly ConcurrentDictionary<int, int> _expected = new();

    public IReadOnlyList<string> Ids => ids;

    /// <summary>Body bytes customers received from <paramref name="id"/> so far.</summary>
    public long Bytes(string id) => Interlocked.Read(ref _bytes[_slots[id]]);

    /// <summary>Customer transfers from <paramref name="id"/> now (from the redirect to it, or its first response byte, to the last body byte).</summary>
    public int InFlight(string id) => Volatile.Read(ref _inFlight[_slots[id]]);

    /// <summary>Requests a policy sent to <paramref name="id"/> whose transfer has not begun yet.</summary>
    public int Pending(string id) => Volatile.Read(ref _pending[_slots[id]]);

    /// <summary>A policy picked <paramref name="id"/> for request <paramref name="request"/> (a pick again for the same request replaces it).</summary>
    public void Expect(int request, string id)
    {
        var slot = _slots[id];
        Interlocked.Increment(ref _pending[slot]);
        _expected.AddOrUpdate(request, slot, (_, previous) =>
        {
            Interlocked.Decrement(ref _pending[previous]);
            return slot;
        });
    }

    /// <summary>
    /// Request <paramref name="request"/> is now served by <paramref name="authority"/>: ends <paramref name="current"/>
    /// if that was another volunteer and begins counting at this one (no-op when it is the same or unknown).
    /// </summary>
    public Transfer Serve(Transfer current, int request, string authority)
    {
        if (resolve(request, authority) is not { } id || !_slots.TryGetValue(id, out var slot))
        {
            return current;
        }

        if (current.Slot == slot && current.Meter == this)
        {
            return current;
        }

        current.End();
        Settle(request);
        Interlocked.Increment(ref _inFlight[slot]);
        return new Transfer(this, slot);
    }

    /// <summary>Request <paramref name="request"/> is over: a pick that never became a transfer stops counting.</summary>
    public void Settle(int request)
    {
        if (_expected.TryRemove(request, out var slot))
        {
            Interlocked.Decrement(ref _pending[slot]);
        }
    }

    /// <summary>One customer transfer being counted (default: none).</summary>
    internal readonly record struct Transfer(CustomerMeter? Meter, int Slot)
    {
        public void Received(int bytes)
        {
            if (Meter is { } meter)
            {
                Interlocked.Add(ref meter._bytes[Slot], bytes);
            }
        }

        public void End()
        {
            if (Meter is { } meter)
            {
                Interlocked.Decrement(ref meter._inFlight[Slot]);
            }
        }
    }
}
