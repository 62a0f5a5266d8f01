using Gateway.Delivery.Volunteers;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// One volunteer as Apache's balancer sees it: its settings (load factor, lbset, route, status flags, retry)
/// and its running counters (lbstatus, busy, bytes, elected, in-error since). Settings and lbstatus change
/// under <see cref="BalancerMembers"/>' lock; busy and byte counters are updated lock-free by requests.
/// </summary>
public sealed class BalancerMember(string id)
{
    private int _busy;
    private long _transferred;
    private long _read;

    public string Id { get; } = id;

    /// <summary>Position in configuration: Apache scans members in this order and the first best wins ties.</summary>
    public int Ordinal { get; internal set; }

    /// <summary>Load factor in hundredths, as Apache 2.4 keeps it (loadfactor=1.5 is 150).</summary>
    public int LbFactor { get; internal set; } = 100;

    public int LbSet { get; internal set; }

    public string Route { get; internal set; } = string.Empty;

    /// <summary>Apache's <c>redirect</c> (RouteRedir): the route that takes this member's sticky requests while it cannot serve.</summary>
    public string RouteRedirect { get; internal set; } = string.Empty;

    /// <summary>Flags set by configuration or balancer-manager; <see cref="MemberStatus.InError"/> is kept apart in <see cref="ErrorSince"/>.</summary>
    public MemberStatus AdminStatus { get; internal set; }

    public TimeSpan Retry { get; internal set; } = TimeSpan.FromSeconds(60);

    /// <summary>Apache's per-member <c>timeout</c>: how long an attempt may stay silent; null uses <c>Proxy:ActivityTimeout</c>.</summary>
    public TimeSpan? Timeout { get; internal set; }

    /// <summary>byrequests'/bybusyness' running credit: how urgently this member should work to meet its share.</summary>
    public int LbStatus { get; internal set; }

    /// <summary>Times chosen (balancer-manager's "Elected").</summary>
    public long Elected { get; internal set; }

    /// <summary>When the member entered error state; null while it is not in error.</summary>
    public DateTimeOffset? ErrorSince { get; internal set; }

    /// <summary>Requests in flight to this member (proxy mode).</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Bytes sent to the member (balancer-manager's "To").</summary>
    public long Transferred => Interlocked.Read(ref _transferred);

    /// <summary>Bytes received from the member (balancer-manager's "From").</summary>
    public long Read => Interlocked.Read(ref _read);

    /// <summary>Configuration flags plus error state: what the pick rules test.</summary>
    public MemberStatus Status => ErrorSince is null ? AdminStatus : AdminStatus | MemberStatus.InError;

    /// <summary>Apache's "usable": not disabled, stopped or in error.</summary>
    public bool IsUsable => (Status & MemberStatusFlags.NotUsable) == 0;

    // Scratch for one pick, written and read under the registry's lock: is the member among this
    // request's available destinations, and which one is it.
    internal long Stamp { get; set; }

    internal DestinationState? Destination { get; set; }

    internal void BeginRequest() => Interlocked.Increment(ref _busy);

    internal void EndRequest(long sent, long received)
    {
        Interlocked.Decrement(ref _busy);
        Interlocked.Add(ref _transferred, sent);
        Interlocked.Add(ref _read, received);
    }

    internal void ResetCounters()
    {
        LbStatus = 0;
        Interlocked.Exchange(ref _transferred, 0);
        Interlocked.Exchange(ref _read, 0);
    }
}
