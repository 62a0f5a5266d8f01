using System.Buffers;
using Gateway.Core.Bencode;
using Gateway.Core.Torrents;

namespace Gateway.Core.Announce;

/// <summary>Writes the bencoded HTTP replies: announce (compact BEP 23 with BEP 7 <c>peers6</c>, or a list of dicts), scrape (BEP 48) and failure.</summary>
public static class AnnounceResponseWriter
{
    /// <summary>A failure: a dict whose only key is <c>failure reason</c>, which clients show to their user.</summary>
    public static void WriteFailure(IBufferWriter<byte> output, string reason)
    {
        var writer = new BencodeWriter(output);
        writer.WriteStartDictionary();
        writer.WriteKey("failure reason"u8);
        writer.WriteString(reason);
        writer.WriteEnd();
    }

    public static void WriteAnnounce(IBufferWriter<byte> output, in AnnounceResult result, ReadOnlySpan<SwarmPeer> peers, bool compact, bool noPeerId)
    {
        var writer = new BencodeWriter(output);
        writer.WriteStartDictionary();
        writer.WriteKey("complete"u8);
        writer.WriteInteger(result.Counts.Seeders);
        writer.WriteKey("incomplete"u8);
        writer.WriteInteger(result.Counts.Leechers);
        writer.WriteKey("interval"u8);
        writer.WriteInteger(result.IntervalSeconds);
        writer.WriteKey("min interval"u8);
        writer.WriteInteger(result.MinIntervalSeconds);
        writer.WriteKey("peers"u8);
        if (compact)
        {
            WriteCompact(writer, peers, v6: false);
            var v6 = 0;
            foreach (var peer in peers)
            {
                v6 += peer.Address.IsV6 ? 1 : 0;
            }

            if (v6 > 0)
            {
                writer.WriteKey("peers6"u8);
                WriteCompact(writer, peers, v6: true);
            }
        }
        else
        {
            writer.WriteStartList();
            Span<byte> id = stackalloc byte[PeerId.Length];
            foreach (var peer in peers)
            {
                writer.WriteStartDictionary();
                writer.WriteKey("ip"u8);
                writer.WriteString(peer.Address.ToIPAddress().ToString());
                if (!noPeerId)
                {
                    writer.WriteKey("peer id"u8);
                    peer.Id.CopyTo(id);
                    writer.WriteString(id);
                }

                writer.WriteKey("port"u8);
                writer.WriteInteger(peer.Address.Port);
                writer.WriteEnd();
            }

            writer.WriteEnd();
        }

        if (result.Slice is { } slice)
        {
            writer.WriteKey(WebSeedSlice.MembersKey);
            writer.WriteString(slice.MembersBytes());
            Span<byte> self = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(self, slice.Self);
            writer.WriteKey(WebSeedSlice.SelfKey);
            writer.WriteString(self);
        }

        writer.WriteEnd();
    }

    public static void WriteScrape(IBufferWriter<byte> output, ReadOnlySpan<InfoHash> hashes, ReadOnlySpan<SwarmCounts> counts)
    {
        // Dictionary keys must be in byte order: sort the hashes (by their bytes) with their counts.
        var order = new (byte[] Hash, SwarmCounts Counts)[hashes.Length];
        for (var i = 0; i < hashes.Length; i++)
        {
            order[i] = (hashes[i].ToArray(), counts[i]);
        }

        Array.Sort(order, static (a, b) => a.Hash.AsSpan().SequenceCompareTo(b.Hash));
        var writer = new BencodeWriter(output);
        writer.WriteStartDictionary();
        writer.WriteKey("files"u8);
        writer.WriteStartDictionary();
        for (var i = 0; i < order.Length; i++)
        {
            // A repeated info_hash is answered once.
            if (i > 0 && order[i].Hash.AsSpan().SequenceEqual(order[i - 1].Hash))
            {
                continue;
            }

            writer.WriteKey(order[i].Hash);
            writer.WriteStartDictionary();
            writer.WriteKey("complete"u8);
            writer.WriteInteger(order[i].Counts.Seeders);
            writer.WriteKey("downloaded"u8);
            writer.WriteInteger(order[i].Counts.Completed);
            writer.WriteKey("incomplete"u8);
            writer.WriteInteger(order[i].Counts.Leechers);
            writer.WriteEnd();
        }

        writer.WriteEnd();
        writer.WriteEnd();
    }

    private static void WriteCompact(BencodeWriter writer, ReadOnlySpan<SwarmPeer> peers, bool v6)
    {
        Span<byte> packed = stackalloc byte[peers.Length * PeerAddress.CompactV6Length];
        var length = 0;
        foreach (var peer in peers)
        {
            if (peer.Address.IsV6 == v6)
            {
                length += peer.Address.WriteCompact(packed[length..]);
            }
        }

        writer.WriteString(packed[..length]);
    }
}
