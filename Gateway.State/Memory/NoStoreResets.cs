namespace Gateway.State.Memory;

/// <summary>The in-memory store lives and dies with its process: it is never reset under a running reader.</summary>
public sealed class NoStoreResets : IStoreResets
{
    public long Resets => 0;

    public event EventHandler<StoreResetEventArgs>? ResetDetected
    {
        add { }
        remove { }
    }

    public ValueTask<bool> CheckAsync(CancellationToken cancellationToken) => ValueTask.FromResult(false);
}
