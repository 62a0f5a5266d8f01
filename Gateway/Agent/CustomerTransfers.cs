namespace Gateway.Agent;

/// <summary>Customer HTTP transfers in flight (the <c>x_http</c> the agent reports) and served so far.</summary>
public sealed class CustomerTransfers
{
    private int _active;
    private long _served;
    private long _refused;

    public int Active => Volatile.Read(ref _active);

    public long Served => Interlocked.Read(ref _served);

    /// <summary>Requests answered 503 because the agent was draining or unhealthy.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public void Begin() => Interlocked.Increment(ref _active);

    public void End()
    {
        Interlocked.Decrement(ref _active);
        Interlocked.Increment(ref _served);
    }

    public void Refuse() => Interlocked.Increment(ref _refused);
}
