using Gateway.Core.Torrents;

namespace Gateway.Core.Announce;

/// <summary>The <c>event</c> of an announce; the values are BEP 15's UDP numbering.</summary>
public enum AnnounceEvent
{
    None = 0,
    Completed = 1,
    Started = 2,
    Stopped = 3,

    /// <summary>BEP 21: a partial seed that stopped downloading; treated as a regular announce.</summary>
    Paused = 4,
}

/// <summary>One announce, parsed from HTTP (BEP 3) or UDP (BEP 15) and checked for form, not yet for policy.</summary>
/// <param name="InfoHash">The torrent.</param>
/// <param name="PeerId">The client's peer id.</param>
/// <param name="Port">The port the client listens on.</param>
/// <param name="Uploaded">Bytes uploaded in this torrent since the client's <c>started</c>.</param>
/// <param name="Downloaded">Bytes downloaded since <c>started</c>.</param>
/// <param name="Left">Bytes still to download: 0 makes the peer a seeder.</param>
/// <param name="Event">The lifecycle event, if any.</param>
/// <param name="NumWant">Peers the client asked for, or null for the tracker's default.</param>
/// <param name="Compact">BEP 23: the client wants peers as packed bytes.</param>
/// <param name="NoPeerId">In a non-compact reply, leave out each peer's id.</param>
/// <param name="Feedback">The load extension parameters it carried (<c>x_http</c>, …); empty for an ordinary client.</param>
public readonly record struct AnnounceRequest(
    InfoHash InfoHash,
    PeerId PeerId,
    ushort Port,
    long Uploaded,
    long Downloaded,
    long Left,
    AnnounceEvent Event,
    int? NumWant,
    bool Compact,
    bool NoPeerId,
    LoadFeedback Feedback);
