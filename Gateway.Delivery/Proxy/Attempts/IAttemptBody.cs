using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Proxy.Attempts;

/// <summary>
/// How one attempt moves the file's bytes from a source to the customer, inside <see cref="AttemptLoop"/>: streamed
/// through YARP's forwarder (<see cref="ForwardedBody"/>), or verified chunk by chunk (the verification's body). The
/// loop decides who is tried, counts and traces the attempt and reports its health; the body only sends and says
/// how it went.
/// </summary>
public interface IAttemptBody
{
    /// <summary>True once bytes of the answer reached the customer.</summary>
    bool Started(HttpContext context);

    /// <summary>True when another source can still take over after a failed attempt (nothing went out, or the body can resume).</summary>
    bool CanContinue(HttpContext context);

    /// <summary>
    /// One attempt from <paramref name="volunteer"/>, or the origin when it is null. <paramref name="memberTimeout"/> is the
    /// volunteer's own activity timeout (Apache's member <c>timeout</c>); null keeps the cluster's.
    /// </summary>
    Task<AttemptResult> SendAsync(HttpContext context, DestinationState? volunteer, TimeSpan? memberTimeout);

    /// <summary>Drops what a failed attempt left (a held-back answer, a partial chunk) before the next source is tried.</summary>
    void Discard(HttpContext context);

    /// <summary>Tells the customer that no source served it, when the last source's own answer does not already.</summary>
    Task FailAsync(HttpContext context);
}

/// <summary>How an attempt failed, in the terms the loop's rules (failover, Apache member state, passive health) are written in.</summary>
public enum AttemptFailure
{
    /// <summary>The source served: the customer got the answer.</summary>
    None,

    /// <summary>The source answered a status that another holder may do better on (5xx, 404 for a file it should hold, not the 200/206 due).</summary>
    Status,

    /// <summary>No connection: the source could not be reached (refused, unresolvable, TLS failed).</summary>
    Unreachable,

    /// <summary>Connected, but the connection closed (or was reset) before any status line came back.</summary>
    NoAnswer,

    /// <summary>The source stayed silent past the activity timeout.</summary>
    TimedOut,

    /// <summary>The source's connection broke while the body was on its way.</summary>
    Broken,

    /// <summary>The source's bytes or headers contradict the catalog.</summary>
    Altered,

    /// <summary>Failed in a way that is neither the source's transport nor the customer's (e.g. unusable response headers).</summary>
    Other,

    /// <summary>The customer went away.</summary>
    ClientGone,
}

/// <summary>
/// One attempt's result: how it failed (if it did), the status the source answered (0 without an answer), the bytes
/// that reached the customer in this attempt, and why it failed, for the log and the trace.
/// </summary>
public readonly record struct AttemptResult(AttemptFailure Failure, int Status, long BytesSent, string? Reason)
{
    public bool Served => Failure == AttemptFailure.None;

    /// <summary>A failure of the source's transport (YARP's passive health counts these).</summary>
    public bool IsTransportFailure => Failure is AttemptFailure.Unreachable or AttemptFailure.NoAnswer or AttemptFailure.TimedOut or AttemptFailure.Broken;

    /// <summary>True when the source answered with a status and it is the status that counts (Apache's failonstatus).</summary>
    public bool Answered => Failure is AttemptFailure.None or AttemptFailure.Status;
}
