using Gateway.Core.Torrents;

namespace Gateway.Core.Announce;

/// <summary>The reply to an announce: a failure reason, or the swarm's counts, the intervals and the peers written to the caller's buffer.</summary>
public readonly record struct AnnounceResult(string? Failure, SwarmCounts Counts, int PeersWritten, int IntervalSeconds, int MinIntervalSeconds)
{
    /// <summary>A keyed leecher's web-seed members (HTTP replies only), when the reply lists the whole swarm.</summary>
    public WebSeedSlice? Slice { get; init; }

    public static AnnounceResult Failed(string reason) => new(reason, default, 0, 0, 0);
}
