namespace Gateway.State.Resilience;

/// <summary>
/// Writes a store could not take yet, merged to the latest state per volunteer: a writer keeps answering
/// while the store is down, and what it says last is what reaches the store when it is back. Every
/// merged entry is idempotent to write, so writing one again after a partial failure is harmless.
/// </summary>
public sealed class PendingHoldingsWrites
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public void Replace(string volunteerId, IReadOnlyCollection<string> contentIds)
    {
        lock (_gate)
        {
            var entry = EntryOf(volunteerId);
            entry.Replace = new HashSet<string>(contentIds, StringComparer.Ordinal);
            entry.Added.Clear();
            entry.Removed.Clear();
        }
    }

    public void Update(string volunteerId, IReadOnlyCollection<string> added, IReadOnlyCollection<string> removed)
    {
        lock (_gate)
        {
            var entry = EntryOf(volunteerId);
            if (entry.Forget)
            {
                // After a removal the volunteer starts from nothing: the update is its whole holdings.
                entry.Replace ??= new HashSet<string>(StringComparer.Ordinal);
            }

            foreach (var content in added)
            {
                Mark(entry, content, held: true);
            }

            foreach (var content in removed)
            {
                Mark(entry, content, held: false);
            }
        }
    }

    public void ReportLoad(string volunteerId, LoadReport report)
    {
        lock (_gate)
        {
            var entry = EntryOf(volunteerId);
            if (entry.Load is not { } old || report.ReportedAt >= old.ReportedAt)
            {
                entry.Load = report;
            }
        }
    }

    public void Remove(string volunteerId)
    {
        lock (_gate)
        {
            var entry = EntryOf(volunteerId);
            entry.Forget = true;
            entry.Replace = null;
            entry.Added.Clear();
            entry.Removed.Clear();
            entry.Load = null;
        }
    }

    /// <summary>A copy of each volunteer's pending writes, with a version to hand back to <see cref="Complete"/>.</summary>
    public IReadOnlyList<PendingVolunteerWrite> Peek()
    {
        lock (_gate)
        {
            return [.. _entries.Select(p => new PendingVolunteerWrite(
                p.Key, p.Value.Version, p.Value.Forget, p.Value.Replace?.ToArray(), [.. p.Value.Added], [.. p.Value.Removed], p.Value.Load))];
        }
    }

    /// <summary>Drops the volunteer's entry once written, unless a newer write was merged in meanwhile.</summary>
    public void Complete(PendingVolunteerWrite written)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(written.VolunteerId, out var entry) && entry.Version == written.Version)
            {
                _entries.Remove(written.VolunteerId);
            }
        }
    }

    public bool Contains(string volunteerId)
    {
        lock (_gate)
        {
            return _entries.ContainsKey(volunteerId);
        }
    }

    /// <summary>Records the last word on one content: into the replacement set if there is one, else as a delta.</summary>
    private static void Mark(Entry entry, string content, bool held)
    {
        if (entry.Replace is { } set)
        {
            _ = held ? set.Add(content) : set.Remove(content);
            return;
        }

        (held ? entry.Removed : entry.Added).Remove(content);
        (held ? entry.Added : entry.Removed).Add(content);
    }

    private Entry EntryOf(string volunteerId)
    {
        if (!_entries.TryGetValue(volunteerId, out var entry))
        {
            _entries[volunteerId] = entry = new Entry();
        }

        entry.Version++;
        return entry;
    }

    private sealed class Entry
    {
        public long Version { get; set; }

        public bool Forget { get; set; }

        public HashSet<string>? Replace { get; set; }

        public HashSet<string> Added { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Removed { get; } = new(StringComparer.Ordinal);

        public LoadReport? Load { get; set; }
    }
}

/// <summary>One volunteer's merged pending writes: forget it first, then replace or update its holdings, then its load.</summary>
public sealed record PendingVolunteerWrite(
    string VolunteerId,
    long Version,
    bool Forget,
    IReadOnlyCollection<string>? Replace,
    IReadOnlyCollection<string> Added,
    IReadOnlyCollection<string> Removed,
    LoadReport? Load);
