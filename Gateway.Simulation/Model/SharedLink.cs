namespace Gateway.Simulation.Model;

/// <summary>
/// An upload link shared equally by every flow on it (processor sharing, the paper's idealized TCP):
/// customer transfers plus a fixed number of synchronization flows that never end while the owner syncs.
/// The sync flows together may want less than their equal shares (<see cref="SyncDemand"/>, e.g. what a real
/// volunteer was measured to upload): they then take only that, and the customers share the rest equally
/// (max-min fairness). Tracks one virtual clock, the service each customer flow has received, so a change
/// costs O(log n), not O(n).
/// </summary>
internal sealed class SharedLink(double capacityBytesPerSecond)
{
    private readonly PriorityQueue<int, double> _byFinishTag = new();
    private readonly Dictionary<int, double> _tags = [];
    private double _served;
    private double _last;

    public double Capacity { get; } = capacityBytesPerSecond;

    /// <summary>Synchronization flows currently sharing the link.</summary>
    public int SyncFlows { get; private set; }

    public int CustomerFlows => _tags.Count;

    /// <summary>Bytes the customer transfers in progress still have to send (what an agent reports as <c>x_http_left</c>).</summary>
    public double CustomerBytesLeft => _tags.Values.Sum(tag => Math.Max(0, tag - _served));

    /// <summary>Bytes sent to customers and to sync peers, counted up to the accounting horizon.</summary>
    public double CustomerBytes { get; private set; }

    public double SyncBytes { get; private set; }

    /// <summary>Customer bytes sent over the whole run, horizon or not (for offload).</summary>
    public double AllCustomerBytes { get; private set; }

    public double Horizon { get; set; } = double.PositiveInfinity;

    /// <summary>Most bytes per second the sync flows want together (unbounded: they always take their equal shares).</summary>
    public double SyncDemand { get; init; } = double.PositiveInfinity;

    /// <summary>Bytes per second the sync flows get now (what a volunteer reports as its BitTorrent upload rate).</summary>
    public double SyncRate => SyncFlows == 0 ? 0 : Math.Min(SyncDemand, Capacity * SyncFlows / Flows);

    private bool SyncBounded => !double.IsPositiveInfinity(SyncDemand);

    /// <summary>Bytes per second each customer transfer gets now: an equal share of what the sync flows leave.</summary>
    private double CustomerRate => _tags.Count == 0 ? 0 : (Capacity - SyncRate) / _tags.Count;

    public long Version { get; private set; }

    /// <summary>The rate one more customer transfer would get now (what the simulator's oracle maximizes).</summary>
    public double RateForOneMore()
    {
        var customers = _tags.Count + 1;
        if (double.IsPositiveInfinity(SyncDemand))
        {
            return Capacity / (customers + SyncFlows);
        }

        var sync = SyncFlows == 0 ? 0 : Math.Min(SyncDemand, Capacity * SyncFlows / (customers + SyncFlows));
        return (Capacity - sync) / customers;
    }

    private int Flows => _tags.Count + SyncFlows;

    /// <summary>
    /// Seconds until a new transfer of <paramref name="bytes"/> started now would end if nothing else arrived: the
    /// transfers in progress end in order of their remaining bytes, each ending leaves more for the rest.
    /// </summary>
    public double PredictedCompletion(double bytes)
    {
        var remaining = _tags.Values.Select(tag => Math.Max(0, tag - _served)).Where(r => r < bytes).Order().ToList();
        var active = _tags.Count + 1;
        double time = 0, served = 0;
        foreach (var r in remaining.Append(bytes))
        {
            var sync = SyncFlows == 0 ? 0 : Math.Min(SyncDemand, Capacity * SyncFlows / (active + SyncFlows));
            time += (r - served) / ((Capacity - sync) / active);
            served = r;
            active--;
        }

        return time;
    }

    /// <summary>Brings the shares up to <paramref name="now"/>.</summary>
    public void Advance(double now)
    {
        var dt = now - _last;
        if (dt > 0 && Flows > 0)
        {
            var perCustomer = SyncBounded ? CustomerRate : Capacity / Flows;
            var sync = SyncBounded ? SyncRate : perCustomer * SyncFlows;
            _served += perCustomer * dt;
            var counted = Math.Max(0, Math.Min(now, Horizon) - Math.Min(_last, Horizon));
            CustomerBytes += perCustomer * _tags.Count * counted;
            SyncBytes += sync * counted;
            AllCustomerBytes += perCustomer * _tags.Count * dt;
        }

        _last = Math.Max(_last, now);
    }

    public void SetSyncFlows(double now, int flows)
    {
        Advance(now);
        SyncFlows = flows;
        Version++;
    }

    public void Start(double now, int request, double bytes)
    {
        Advance(now);
        var tag = _served + bytes;
        _tags[request] = tag;
        _byFinishTag.Enqueue(request, tag);
        Version++;
    }

    /// <summary>When the next customer transfer ends if nothing changes, or null with none in progress.</summary>
    public double? NextCompletion()
    {
        DropEnded();
        if (!_byFinishTag.TryPeek(out _, out var tag))
        {
            return null;
        }

        return SyncBounded ? _last + (Math.Max(0, tag - _served) / CustomerRate) : _last + (Math.Max(0, tag - _served) * Flows / Capacity);
    }

    /// <summary>
    /// Removes and returns the transfers finished by <paramref name="now"/>, the time <see cref="NextCompletion"/>
    /// gave: the first in line ends then by construction, whatever rounding says.
    /// </summary>
    public List<int> Complete(double now)
    {
        Advance(now);
        var done = new List<int>();
        DropEnded();
        if (_byFinishTag.TryDequeue(out var first, out _))
        {
            _tags.Remove(first);
            done.Add(first);
        }

        while (_byFinishTag.TryPeek(out var request, out var tag))
        {
            if (!_tags.ContainsKey(request))
            {
                _byFinishTag.Dequeue();
                continue;
            }

            // Relative tolerance: the finish time was computed from the same tag, so only rounding separates them.
            if (tag > _served + (1e-9 * Math.Max(1, tag)))
            {
                break;
            }

            _byFinishTag.Dequeue();
            _tags.Remove(request);
            done.Add(request);
        }

        if (done.Count > 0)
        {
            Version++;
        }

        return done;
    }

    /// <summary>Drops every transfer in progress (the owner left) and returns them.</summary>
    public List<int> AbortAll(double now)
    {
        Advance(now);
        var aborted = _tags.Keys.Order().ToList();
        _tags.Clear();
        _byFinishTag.Clear();
        Version++;
        return aborted;
    }

    private void DropEnded()
    {
        while (_byFinishTag.TryPeek(out var request, out _) && !_tags.ContainsKey(request))
        {
            _byFinishTag.Dequeue();
        }
    }
}
