using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gateway.Feedback.Store;

/// <summary>The swarm store of a single process: the default, which needs nothing installed.</summary>
public sealed class InMemorySwarmStore : ISwarmStore
{
    // One lock keeps each change and its notification in the same order for every watcher;
    // writes are per announce, not per customer request, so contention stays low.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<string>> _holdings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LoadReport> _loads = new(StringComparer.Ordinal);
    private readonly List<Channel<SwarmChange>> _watchers = [];

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
            Publish(new LoadReported(volunteerId, report));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveVolunteerAsync(string volunteerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        lock (_gate)
        {
            var had = _holdings.Remove(volunteerId) | _loads.Remove(volunteerId);
            if (had)
            {
                Publish(new VolunteerRemoved(volunteerId));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<SwarmSnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(new SwarmSnapshot(
                _holdings.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal),
                _loads.ToFrozenDictionary(StringComparer.Ordinal)));
        }
    }

    public async IAsyncEnumerable<SwarmChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<SwarmChange>(new UnboundedChannelOptions { SingleReader = true });
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

    private void Publish(SwarmChange change)
    {
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(change);
        }
    }
}
