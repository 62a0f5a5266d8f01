namespace Gateway.Delivery.Proxy.Attempts;

/// <summary>How a proxied request's bytes are to move, as the verification decides before the first attempt.</summary>
public enum ProxyPlan
{
    /// <summary>Streamed through YARP's forwarder, holder by holder, then the origin.</summary>
    Forward,

    /// <summary>Verified chunk by chunk, holder by holder, then the origin.</summary>
    Verify,

    /// <summary>From the origin only (a file that cannot be verified before forwarding).</summary>
    Origin,

    /// <summary>Answered without any source (an empty file, an unsatisfiable range).</summary>
    Answered,
}
