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

    /// <summary>Which memory of the store the last snapshot came from (null before the first, or for a store without generations).</summary>
    public StoreGeneration? Generation { get; private set; }

    /// <summary>How many content ids the volunteer holds in this view (0 when none or unknown): kept as changes arrive, never counted on a read.</summary>
    public int HoldingsOf(string volunteerId) => _state.Counts.TryGetValue(volunteerId, out var count) ? count : 0;

    /// <summary>How many volunteers the view knows (holders and load reporters).</summary>
    public int VolunteerCount => _state.Heard.Count;

    /// <summary>
    /// How many volunteers the view keeps from before a store reset whose holdings the store has not had written again
    /// (see <see cref="Merge"/>); 0 when the view is exactly what the store says.
    /// </summary>
    public int CarriedCount => _state.Carried.Count;

    /// <summary>
    /// Replaces the whole view with a snapshot (first load and periodic reconcile), except where the view holds newer
    /// state than the snapshot: holdings written after the snapshot's version of them, or a load reported later.
    /// </summary>
    public void Reset(HoldingsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Take(snapshot, keepAbsent: false);
    }

    /// <summary>
    /// Takes a snapshot read after the store lost its state: what the snapshot has replaces the view's (unless the view's is
    /// newer), but a volunteer whose holdings the snapshot lacks keeps the holdings (and load) the view had, and when the
    /// view last heard of it, until its holdings are written again (a change, or a later snapshot that has them) or it ages
    /// out (<see cref="ForgetSilentSince"/>). The store's loss of memory is "unknown", not "nobody holds anything".
    /// </summary>
    /// <returns>How many volunteers are carried over from before the reset.</returns>
    public int Merge(HoldingsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Take(snapshot, keepAbsent: true);
    }

    private int Take(HoldingsSnapshot snapshot, bool keepAbsent)
    {
        var old = _state;
        var now = time.GetUtcNow();

        // The volunteers whose holdings the view keeps: absent from a snapshot read after a reset (carried), or newer here.
        var kept = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var carried = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volunteer in old.Heard.Keys)
        {
            if (keepAbsent && !snapshot.Holdings.ContainsKey(volunteer))
            {
                carried.Add(volunteer);
                kept[volunteer] = new HashSet<string>(StringComparer.Ordinal);
            }
            else if (old.Versions.TryGetValue(volunteer, out var mine) && snapshot.HoldingsWrittenAt.TryGetValue(volunteer, out var theirs) && theirs < mine)
            {
                kept[volunteer] = new HashSet<string>(StringComparer.Ordinal);
            }
        }

        foreach (var (content, holders) in old.Holders)
        {
            foreach (var holder in holders)
            {
                if (kept.TryGetValue(holder, out var contents))
                {
                    contents.Add(content);
                }
            }
        }

        var next = new State();
        var byContent = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var fromSnapshot = snapshot.Holdings.Where(h => !kept.ContainsKey(h.Key)).Select(h => (h.Key, (IEnumerable<string>)h.Value));
        foreach (var (volunteer, contents) in fromSnapshot.Concat(kept.Select(k => (k.Key, (IEnumerable<string>)k.Value))))
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
            foreach (var volunteer in list)
            {
                next.Counts[volunteer] = next.Counts.GetValueOrDefault(volunteer) + 1;
            }
        }

        foreach (var (volunteer, report) in snapshot.Loads)
        {
            // An older report never replaces a newer one, from a snapshot as from a change.
            next.Loads[volunteer] = old.Loads.TryGetValue(volunteer, out var mine) && mine.ReportedAt > report.ReportedAt ? mine : report;
            next.Heard[volunteer] = now;
        }

        foreach (var volunteer in snapshot.Holdings.Keys)
        {
            next.Heard[volunteer] = now;
        }

        foreach (var (volunteer, version) in snapshot.HoldingsWrittenAt)
        {
            next.Versions[volunteer] = version;
        }

        foreach (var volunteer in kept.Keys)
        {
            if (old.Versions.TryGetValue(volunteer, out var mine) && (!next.Versions.TryGetValue(volunteer, out var theirs) || mine > theirs))
            {
                next.Versions[volunteer] = mine;
            }

            if (!next.Loads.ContainsKey(volunteer) && old.Loads.TryGetValue(volunteer, out var load))
            {
                next.Loads[volunteer] = load;
            }

            // A carried volunteer's holdings are as old as the last time the store vouched for them, however fresh its load is.
            var heard = old.Heard.TryGetValue(volunteer, out var at) ? at : DateTimeOffset.MinValue;
            next.Heard.TryAdd(volunteer, heard);
            if (carried.Contains(volunteer))
            {
                next.Carried[volunteer] = old.Carried.TryGetValue(volunteer, out var since) ? since : heard;
            }
        }

        _state = next;
        Generation = snapshot.Generation;
        LastSync = now;
        return carried.Count;
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
                // Written again since the reset: from here on the store has this volunteer's holdings.
                state.Carried.TryRemove(held.VolunteerId, out _);
                if (held.AppliedAt is { } at)
                {
                    state.Versions.AddOrUpdate(held.VolunteerId, static (_, next) => next, static (_, old, next) => next > old ? next : old, at);
                }

                foreach (var content in held.Added)
                {
                    AddHolder(state, content, held.VolunteerId);
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
    /// Forgets the volunteers the view has not heard of (no change, not in a snapshot) since <paramref name="cutoff"/>,
    /// and those carried over a store reset whose holdings nobody wrote again since then: while the store cannot be
    /// read, or after it lost its state, holdings age out and their files go to the origin.
    /// </summary>
    /// <returns>How many volunteers were forgotten.</returns>
    public int ForgetSilentSince(DateTimeOffset cutoff)
    {
        var state = _state;
        var forgotten = 0;
        foreach (var (volunteer, heard) in state.Heard)
        {
            if (heard < cutoff || (state.Carried.TryGetValue(volunteer, out var vouched) && vouched < cutoff))
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
        state.Carried.TryRemove(volunteerId, out _);
        state.Versions.TryRemove(volunteerId, out _);
        state.Loads.TryRemove(volunteerId, out _);
        foreach (var content in state.Holders.Keys)
        {
            RemoveHolder(state, content, volunteerId);
        }

        state.Counts.TryRemove(volunteerId, out _);
    }

    /// <summary>Adds the holder unless it is one already (a replayed change); counts it only when this call added it.</summary>
    private static void AddHolder(State state, string content, string volunteerId)
    {
        while (true)
        {
            var added = state.Holders.TryGetValue(content, out var old)
                ? !old.Contains(volunteerId) && state.Holders.TryUpdate(content, [.. old, volunteerId], old)
                : state.Holders.TryAdd(content, [volunteerId]);
            if (added)
            {
                state.Counts.AddOrUpdate(volunteerId, 1, static (_, n) => n + 1);
                return;
            }

            if (old is not null && old.Contains(volunteerId))
            {
                return;
            }
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
                state.Counts.AddOrUpdate(volunteerId, 0, static (_, n) => Math.Max(0, n - 1));
                return;
            }
        }
    }

    private sealed class State
    {
        public ConcurrentDictionary<string, string[]> Holders { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, LoadReport> Loads { get; } = new(StringComparer.Ordinal);

        /// <summary>How many content ids each volunteer holds (kept with <see cref="Holders"/>, for metrics and readiness).</summary>
        public ConcurrentDictionary<string, int> Counts { get; } = new(StringComparer.Ordinal);

        /// <summary>When the view last heard of each volunteer (a change, or a snapshot that had it).</summary>
        public ConcurrentDictionary<string, DateTimeOffset> Heard { get; } = new(StringComparer.Ordinal);

        /// <summary>
        /// Volunteers kept from before a store reset, whose holdings the store has not had written again, with when the
        /// store last vouched for those holdings.
        /// </summary>
        public ConcurrentDictionary<string, DateTimeOffset> Carried { get; } = new(StringComparer.Ordinal);

        /// <summary>When each volunteer's holdings the view has were written (the store's clock), where the store says so.</summary>
        public ConcurrentDictionary<string, DateTimeOffset> Versions { get; } = new(StringComparer.Ordinal);
    }
}
