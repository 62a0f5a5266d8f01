namespace Gateway.Core.Announce;

/// <summary>
/// The load a volunteer reports on its announce (docs/feedback.md). Each part is null when the announce did
/// not carry it; the tracker derives the sync rates from the transfer counters when they are absent.
/// </summary>
/// <param name="ActiveTransfers"><c>x_http</c>: customer HTTP transfers in progress.</param>
/// <param name="Peers"><c>x_peers</c>: BitTorrent connections.</param>
/// <param name="UploadBytesPerSecond"><c>x_up</c>: BitTorrent upload rate now.</param>
/// <param name="DownloadBytesPerSecond"><c>x_down</c>: BitTorrent download rate now.</param>
/// <param name="CapacityBytesPerSecond"><c>x_cap</c>: upload capacity.</param>
/// <param name="CustomerBytesLeft"><c>x_http_left</c>: bytes the customer transfers in progress still have to send (at most).</param>
public readonly record struct LoadFeedback(
    int? ActiveTransfers,
    int? Peers,
    long? UploadBytesPerSecond,
    long? DownloadBytesPerSecond,
    long? CapacityBytesPerSecond,
    long? CustomerBytesLeft = null)
{
    /// <summary>True when the announce carried none of the parameters (an unmodified client).</summary>
    public bool IsEmpty => ActiveTransfers is null && Peers is null && UploadBytesPerSecond is null && DownloadBytesPerSecond is null && CapacityBytesPerSecond is null && CustomerBytesLeft is null;
}
