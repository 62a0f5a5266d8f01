using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gateway.State.Memory;

/// <summary>The holdings store of a single process: the default, which needs nothing installed.</summary>
public sealed class InMemoryHoldingsStore : IHoldingsStore, IHoldingsExpiry
{
    // One lock keeps each change and its notification in the same order for every watcher;
    // writes are per announce, not per customer request, so contention stays low.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<string>> _holdings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LoadReport> _loads = new(StringComparer.Ordinal);
    private readonly List<Channel<HoldingsChange>> _watchers = [];
    private readonly Dictionary<string, DateTimeOffset> _expires = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _volunteerTtl;

    /// <summary>A store whose volunteers never expire (tests, or a writer that removes them itself).</summary>
    public InMemoryHoldingsStore()
        : this(TimeProvider.System, Timeout.InfiniteTimeSpan)
    {
    }

    /// <summary>A store that forgets a volunteer nobody wrote about for <paramref name="volunteerTtl"/> (see <see cref="SweepExpiredAsync"/>).</summary>
    public InMemoryHoldingsStore(TimeProvider time, TimeSpan volunteerTtl)
    {
        _time = time;
        _volunteerTtl = volunteerTtl;
    }

    public ValueTask ReplaceHoldingsAsync(string volunteerId, IReadOnlyCollection<string> contentIds, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        ArgumentNullException.ThrowIfNull(contentIds);
        lock (_gate)
        {
            var current = _holdings.TryGetValue(volunteerId, out var set) ? set : [];
            var next = new HashSet<string>(contentIds, StringComparer.Ordinal);
            var added = next.Where(c => !current.Contains(c)).ToArray();
            var removed = current.Where(c => !next.Contains(c)).ToArray();
            _holdings[volunteerId] = next;
            Touch(volunteerId);
            if (added.Length > 0 || removed.Length > 0)
            {
                Publish(new HoldingsChanged(volunteerId, added, removed));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateHoldingsAsync(string volunteerId, IReadOnlyCollection<string> added, IReadOnlyCollection<string> removed, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        lock (_gate)
        {
            if (!_holdings.TryGetValue(volunteerId, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                _holdings[volunteerId] = set;
            }

            Touch(volunteerId);

            var reallyAdded = added.Where(set.Add).ToArray();
            var reallyRemoved = removed.Where(set.Remove).ToArray();
            if (reallyAdded.Length > 0 || reallyRemoved.Length > 0)
            {
                Publish(new HoldingsChanged(volunteerId, reallyAdded, reallyRemoved));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask ReportLoadAsync(string volunteerId, LoadReport report, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        lock (_gate)
        {
            _loads[volunteerId] = report;
            Touch(volunteerId);
            Publish(new LoadReported(volunteerId, report));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveVolunteerAsync(string volunteerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        lock (_gate)
        {
            _expires.Remove(volunteerId);
            var had = _holdings.Remove(volunteerId) | _loads.Remove(volunteerId);
            if (had)
            {
                Publish(new VolunteerRemoved(volunteerId));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<HoldingsSnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // Like Redis, a record past its expiry is gone even before the sweep announces it.
            var now = _time.GetUtcNow();
            return ValueTask.FromResult(new HoldingsSnapshot(
                _holdings.Where(p => IsLive(p.Key, now)).ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal),
                _loads.Where(p => IsLive(p.Key, now)).ToFrozenDictionary(StringComparer.Ordinal)));
        }
    }

    public ValueTask<int> SweepExpiredAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var expired = _expires.Where(p => p.Value <= now).Select(p => p.Key).ToArray();
            foreach (var volunteerId in expired)
            {
                _expires.Remove(volunteerId);
                _holdings.Remove(volunteerId);
                _loads.Remove(volunteerId);
                Publish(new VolunteerRemoved(volunteerId));
            }

            return ValueTask.FromResult(expired.Length);
        }
    }

    public async IAsyncEnumerable<HoldingsChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<HoldingsChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            _watchers.Add(channel);
        }

        try
        {
            yield return new WatchStarted();
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    private void Touch(string volunteerId)
    {
        if (_volunteerTtl != Timeout.InfiniteTimeSpan)
        {
            _expires[volunteerId] = _time.GetUtcNow() + _volunteerTtl;
        }
    }

    private bool IsLive(string volunteerId, DateTimeOffset now) => !_expires.TryGetValue(volunteerId, out var expires) || expires > now;

    private void Publish(HoldingsChange change)
    {
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(change);
        }
    }
}
