namespace Gateway.State;

/// <summary>A volunteer's self-reported load, as carried on its tracker announce (or set by hand).</summary>
/// <param name="ActiveTransfers">Customer HTTP transfers in progress (<c>x_http</c>).</param>
/// <param name="Peers">BitTorrent connections (<c>x_peers</c>).</param>
/// <param name="UploadBytesPerSecond">BitTorrent upload rate now (<c>x_up</c>).</param>
/// <param name="DownloadBytesPerSecond">BitTorrent download rate now (<c>x_down</c>).</param>
/// <param name="CapacityBytesPerSecond">Upload capacity (<c>x_cap</c>); 0 when unknown.</param>
/// <param name="ReportedAt">When the store received the report; freshness is judged from it.</param>
/// <param name="CustomerBytesLeft">
/// Bytes the customer transfers in progress still had to send (<c>x_http_left</c>), at most; null when not reported.
/// </param>
public readonly record struct LoadReport(
    int ActiveTransfers,
    int Peers,
    long UploadBytesPerSecond,
    long DownloadBytesPerSecond,
    long CapacityBytesPerSecond,
    DateTimeOffset ReportedAt,
    long? CustomerBytesLeft = null);
