namespace Gateway.Feedback.Tracker;

/// <summary>
/// Which part of a torrent a keyed leecher should take from the web seed: slice <see cref="Index"/> of
/// <see cref="Count"/> equal runs of pieces. The tracker hands it out in two extra keys of the announce reply
/// (clients that do not know them ignore them); the volunteer agent's web-seed relay forwards only ranges of its
/// own slice to the origin, so that simultaneous leechers each pay the origin for a different part and then trade.
/// </summary>
public readonly record struct WebSeedSlice(int Index, int Count)
{
    /// <summary>The reply key of <see cref="Index"/> (bencode: sorts after <c>peers</c> and <c>peers6</c>).</summary>
    public const string IndexKey = "x_slice";

    /// <summary>The reply key of <see cref="Count"/>.</summary>
    public const string CountKey = "x_slices";

    /// <summary>
    /// The slice of volunteer <paramref name="volunteerId"/>: its rank among the swarm's keyed leechers (itself
    /// included) ordered by volunteer id, so every member computes a different index from the same swarm. Only
    /// when <paramref name="listed"/> is the whole swarm (a larger swarm is answered with a sample, whose ranks
    /// would collide): null otherwise.
    /// </summary>
    public static WebSeedSlice? Assign(string volunteerId, ReadOnlySpan<SwarmPeer> listed, SwarmCounts counts)
    {
        ArgumentNullException.ThrowIfNull(volunteerId);
        if (listed.Length != counts.Seeders + counts.Leechers - 1)
        {
            return null;
        }

        var members = new SortedSet<string>(StringComparer.Ordinal) { volunteerId };
        foreach (var peer in listed)
        {
            if (!peer.IsSeeder && peer.VolunteerId is { } id)
            {
                members.Add(id);
            }
        }

        var index = 0;
        foreach (var member in members)
        {
            if (member == volunteerId)
            {
                break;
            }

            index++;
        }

        return new WebSeedSlice(index, members.Count);
    }
}
