namespace Gateway.Agent.Serving;

/// <summary>
/// Customer HTTP transfers in flight (the <c>x_http</c> the agent reports), the bytes they committed to send, and
/// those served so far.
/// </summary>
public sealed class CustomerTransfers
{
    private int _active;
    private long _committedBytes;
    private long _served;
    private long _refused;

    public int Active => Volatile.Read(ref _active);

    /// <summary>Bytes the responses still running will send at most: each counts whole until it ends.</summary>
    public long CommittedBytes => Interlocked.Read(ref _committedBytes);

    public long Served => Interlocked.Read(ref _served);

    /// <summary>Requests answered 503 because the agent was draining or unhealthy.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>A response of at most <paramref name="bytes"/> starts.</summary>
    public void Begin(long bytes)
    {
        Interlocked.Increment(ref _active);
        Interlocked.Add(ref _committedBytes, bytes);
    }

    /// <summary>The response <see cref="Begin"/> announced with <paramref name="bytes"/> ended.</summary>
    public void End(long bytes)
    {
        Interlocked.Add(ref _committedBytes, -bytes);
        Interlocked.Decrement(ref _active);
        Interlocked.Increment(ref _served);
    }

    public void Refuse() => Interlocked.Increment(ref _refused);
}
