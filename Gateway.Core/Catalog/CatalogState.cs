namespace Gateway.Core.Catalog;

/// <summary>The catalog in force. Readers take <see cref="Current"/> once per request; a reload swaps it whole.</summary>
public sealed class CatalogState
{
    private volatile RepositoryCatalog _current = RepositoryCatalog.Empty;

    public RepositoryCatalog Current => _current;

    /// <summary>True once a manifest was loaded (readiness).</summary>
    public bool IsLoaded { get; private set; }

    public DateTimeOffset LoadedAt { get; private set; }

    public void Replace(RepositoryCatalog catalog, DateTimeOffset loadedAt)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _current = catalog;
        LoadedAt = loadedAt;
        IsLoaded = true;
    }
}
