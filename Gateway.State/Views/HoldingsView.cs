using System.Collections.Concurrent;

namespace Gateway.State.Views;

/// <summary>
/// A reader's in-memory copy of the swarm state: holders per content id and each volunteer's last load.
/// Customer requests read it lock-free and never wait on the store; <see cref="HoldingsFollower"/> keeps it current.
/// </summary>
public sealed class HoldingsView(TimeProvider time)
{
    private volatile State _state = new();

    /// <summary>When the view last took a change or a full snapshot from the store.</summary>
    public DateTimeOffset LastSync { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>The volunteers that hold <paramref name="contentId"/> completely (empty when none).</summary>
    public string[] HoldersOf(string contentId) =>
        _state.Holders.TryGetValue(contentId, out var holders) ? holders : [];

    public bool TryGetLoad(string volunteerId, out LoadReport report) => _state.Loads.TryGetValue(volunteerId, out report);

    /// <summary>Replaces the whole view with a snapshot (first load and periodic reconcile).</summary>
    public void Reset(HoldingsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var next = new State();
        var byContent = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (volunteer, contents) in snapshot.Holdings)
        {
            foreach (var content in contents)
            {
                if (!byContent.TryGetValue(content, out var list))
                {
                    byContent[content] = list = [];
                }

                list.Add(volunteer);
            }
        }

        foreach (var (content, list) in byContent)
        {
            list.Sort(StringComparer.Ordinal);
            next.Holders[content] = [.. list];
        }

        var now = time.GetUtcNow();
        foreach (var (volunteer, report) in snapshot.Loads)
        {
            next.Loads[volunteer] = report;
            next.Heard[volunteer] = now;
        }

        foreach (var volunteer in snapshot.Holdings.Keys)
        {
            next.Heard[volunteer] = now;
        }

        _state = next;
        LastSync = now;
    }

    /// <summary>Applies one change; applying a change twice is harmless (followers may replay around a reconcile).</summary>
    public void Apply(HoldingsChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change is WatchStarted)
        {
            return;
        }

        var state = _state;
        var now = time.GetUtcNow();
        state.Heard[change.VolunteerId] = now;
        switch (change)
        {
            case HoldingsChanged held:
                foreach (var content in held.Added)
                {
                    state.Holders.AddOrUpdate(content, static (_, v) => [v], static (_, old, v) => old.Contains(v) ? old : [.. old, v], held.VolunteerId);
                }

                foreach (var content in held.Removed)
                {
                    RemoveHolder(state, content, held.VolunteerId);
                }

                break;
            case LoadReported loaded:
                state.Loads.AddOrUpdate(loaded.VolunteerId, static (_, r) => r, static (_, old, next) => next.ReportedAt >= old.ReportedAt ? next : old, loaded.Report);
                break;
            case VolunteerRemoved removed:
                Forget(state, removed.VolunteerId);
                break;
        }

        LastSync = now;
    }

    /// <summary>
    /// Forgets the volunteers the view has not heard of (no change, not in a snapshot) since <paramref name="cutoff"/>:
    /// while the store cannot be read, their holdings age out and their files go to the origin.
    /// </summary>
    /// <returns>How many volunteers were forgotten.</returns>
    public int ForgetSilentSince(DateTimeOffset cutoff)
    {
        var state = _state;
        var forgotten = 0;
        foreach (var (volunteer, heard) in state.Heard)
        {
            if (heard < cutoff)
            {
                Forget(state, volunteer);
                forgotten++;
            }
        }

        return forgotten;
    }

    private static void Forget(State state, string volunteerId)
    {
        state.Heard.TryRemove(volunteerId, out _);
        state.Loads.TryRemove(volunteerId, out _);
        foreach (var content in state.Holders.Keys)
        {
            RemoveHolder(state, content, volunteerId);
        }
    }

    private static void RemoveHolder(State state, string content, string volunteerId)
    {
        while (state.Holders.TryGetValue(content, out var old) && old.Contains(volunteerId))
        {
            var next = old.Where(v => v != volunteerId).ToArray();
            var done = next.Length == 0
                ? state.Holders.TryRemove(new KeyValuePair<string, string[]>(content, old))
                : state.Holders.TryUpdate(content, next, old);
            if (done)
            {
                return;
            }
        }
    }

    private sealed class State
    {
        public ConcurrentDictionary<string, string[]> Holders { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, LoadReport> Loads { get; } = new(StringComparer.Ordinal);

        /// <summary>When the view last heard of each volunteer (a change, or a snapshot that had it).</summary>
        public ConcurrentDictionary<string, DateTimeOffset> Heard { get; } = new(StringComparer.Ordinal);
    }
}
