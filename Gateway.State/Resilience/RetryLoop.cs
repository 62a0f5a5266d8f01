namespace Gateway.State.Resilience;

/// <summary>
/// Writes a buffer through to a store that was down: once started, runs a pass every interval until the buffer
/// says it is empty. Shared by the Redis stores, each of which keeps its own buffer and knows how to write it.
/// </summary>
/// <remarks>
/// The emptiness check runs under the same lock as <see cref="Start"/>: a write buffered just after a pass
/// either sees the loop still running or starts a new one, so nothing is left behind.
/// </remarks>
public sealed class RetryLoop(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> pass, Func<bool> isDone) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposing = new();
    private bool _running;
    private int _disposed;
    private Task _loop = Task.CompletedTask;

    /// <summary>Starts the loop unless it runs already; call after buffering a write.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_running || _disposing.IsCancellationRequested)
            {
                return;
            }

            _running = true;
            _loop = RunAsync(_disposing.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _disposing.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
                await pass(cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    if (isDone())
                    {
                        _running = false;
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed: what is still buffered is lost with the process, as an unsent announce would be.
        }
    }
}
