namespace Gateway.Core.Catalog;

/// <summary>The catalog in force. Readers take <see cref="Current"/> once per request; a reload swaps it whole.</summary>
public sealed class CatalogState
{
    private volatile RepositoryCatalog _current = RepositoryCatalog.Empty;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RepositoryCatalog Current => _current;

    /// <summary>True once a manifest was loaded (readiness).</summary>
    public bool IsLoaded { get; private set; }

    public DateTimeOffset LoadedAt { get; private set; }

    /// <summary>Completes when the next catalog is swapped in (the release feed waits on it; nothing polls).</summary>
    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Replace(RepositoryCatalog catalog, DateTimeOffset loadedAt)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _current = catalog;
        LoadedAt = loadedAt;
        IsLoaded = true;
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
