using System.Buffers.Binary;
using Gateway.Core.Torrents;

namespace Gateway.Core.Announce;

/// <summary>
/// Who shares a torrent's web seed: the tokens of the swarm's keyed members (leechers and seeders) and the caller's
/// own. The tracker hands them out in two extra keys of the announce reply (clients that do not know them ignore
/// them); the volunteer agent's web-seed relay gives each block of pieces to one member by rendezvous hashing and
/// forwards only its own blocks to the origin, so that agents that start together pay the origin for different
/// parts and then trade them.
/// </summary>
/// <remarks>
/// Rendezvous hashing keeps the split stable: a member that joins or leaves moves only its own share, and a leecher
/// that completes stays a member (nobody fetches its share from the origin; everybody gets it from the seeder).
/// </remarks>
public sealed record WebSeedSlice(ulong Self, IReadOnlyList<ulong> Members)
{
    /// <summary>The reply key of the members' tokens: a byte string of 8-byte big-endian tokens in ascending order.</summary>
    public static ReadOnlySpan<byte> MembersKey => "x_members"u8;

    /// <summary>The reply key of the caller's own token (8 bytes, big-endian). Both keys sort after <c>peers</c> and <c>peers6</c>.</summary>
    public static ReadOnlySpan<byte> SelfKey => "x_self"u8;

    /// <summary>Members beyond this are not listed (the reply stays small; such swarms get no slice).</summary>
    public const int MaxMembers = 200;

    /// <summary>
    /// The caller's view: every keyed member of the swarm (itself included), only when <paramref name="listed"/> is the
    /// whole swarm (a larger swarm is answered with a sample, whose members would differ from reply to reply):
    /// null otherwise.
    /// </summary>
    public static WebSeedSlice? Assign(string volunteerId, ReadOnlySpan<SwarmPeer> listed, SwarmCounts counts)
    {
        ArgumentNullException.ThrowIfNull(volunteerId);
        if (listed.Length != counts.Seeders + counts.Leechers - 1 || listed.Length >= MaxMembers)
        {
            return null;
        }

        var self = Token(volunteerId);
        var members = new SortedSet<ulong> { self };
        foreach (var peer in listed)
        {
            if (peer.VolunteerId is { } id)
            {
                members.Add(Token(id));
            }
        }

        return new WebSeedSlice(self, [.. members]);
    }

    /// <summary>A volunteer's token: FNV-1a (64 bit) of its id, the same in every process.</summary>
    public static ulong Token(string volunteerId)
    {
        ArgumentNullException.ThrowIfNull(volunteerId);
        var hash = 14695981039346656037UL;
        foreach (var c in volunteerId)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>The tokens as the reply carries them.</summary>
    public byte[] MembersBytes()
    {
        var bytes = new byte[Members.Count * 8];
        for (var i = 0; i < Members.Count; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), Members[i]);
        }

        return bytes;
    }

    /// <summary>Reads the reply's two keys back; null when they are missing or malformed.</summary>
    public static WebSeedSlice? FromBytes(ReadOnlySpan<byte> self, ReadOnlySpan<byte> members)
    {
        if (self.Length != 8 || members.Length == 0 || members.Length % 8 != 0)
        {
            return null;
        }

        var tokens = new ulong[members.Length / 8];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = BinaryPrimitives.ReadUInt64BigEndian(members[(i * 8)..]);
        }

        var own = BinaryPrimitives.ReadUInt64BigEndian(self);
        return Array.IndexOf(tokens, own) < 0 ? null : new WebSeedSlice(own, tokens);
    }

    /// <summary>The member that fetches block <paramref name="block"/> of the torrent seeded with <paramref name="torrent"/> (rendezvous hashing).</summary>
    public ulong OwnerOf(ulong torrent, long block)
    {
        var best = 0UL;
        var owner = Members[0];
        foreach (var member in Members)
        {
            var score = Mix(member ^ Mix(torrent + (ulong)block));
            if (score >= best)
            {
                best = score;
                owner = member;
            }
        }

        return owner;
    }

    // SplitMix64's finaliser: a cheap, well-spread 64-bit mix.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }
}
