using Gateway.Core.Announce;

namespace Gateway.Demo;

/// <summary>
/// One of the demo's built-in volunteers (a plain file server, used when aria2c is not installed) as its announces
/// describe it: its key, the folder it serves, its uplink and the load it reports. <c>SyncShare</c> is the share of its
/// uplink that simulated BitTorrent synchronization takes (0 for none): a volunteer busy syncing a release still serves
/// customers, but with what the sync leaves, and says so on its announce.
/// </summary>
public sealed record BuiltInVolunteer(string Id, string Key, string Folder, long CapacityBytesPerSecond, TransferGauge Transfers, double SyncShare)
{
    /// <summary>Simulated BitTorrent upload connections of a syncing volunteer (at most what the gateway counts, SyncLoadWeight).</summary>
    public const int SyncPeers = 4;

    /// <summary>The uplink left to customers: what the simulated sync does not take.</summary>
    public long CustomerBytesPerSecond => (long)(CapacityBytesPerSecond * (1 - SyncShare));

    /// <summary>The load report for its next announce: the transfers measured now, and the simulated sync.</summary>
    public LoadFeedback Load()
    {
        var syncing = SyncShare > 0;
        return new LoadFeedback(
            ActiveTransfers: Transfers.ActiveTransfers,
            Peers: syncing ? SyncPeers : 0,
            UploadBytesPerSecond: (long)(CapacityBytesPerSecond * SyncShare),
            DownloadBytesPerSecond: 0,
            CapacityBytesPerSecond: CapacityBytesPerSecond,
            CustomerBytesLeft: Transfers.BytesLeft);
    }
}
