namespace Gateway.Tests.Infrastructure;

/// <summary>A test class that opens store clients as it goes and closes them all after each test.</summary>
public abstract class StoreClientOwner : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    /// <summary>Closes <paramref name="disposable"/> after the test.</summary>
    protected T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
