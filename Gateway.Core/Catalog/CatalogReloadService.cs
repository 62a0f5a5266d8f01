using Microsoft.Extensions.Options;

namespace Gateway.Core.Catalog;

/// <summary>
/// Loads the manifest at start and swaps in each new version; requests in flight keep the one they took. Checks the
/// source every <c>Catalog:ReloadInterval</c>, and at once when <see cref="RequestReload"/> is called (publish's
/// notification), so a release reaches the release feed without waiting for the interval.
/// </summary>
public sealed partial class CatalogReloadService(
    ManifestSource source,
    CatalogState state,
    IOptionsMonitor<CatalogOptions> options,
    TimeProvider time,
    ILogger<CatalogReloadService> logger) : BackgroundService
{
    // At most one pending wake-up: any number of notifications during a check cost one more check.
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Asks for a check of the source now (coalesced: at most one is pending).</summary>
    public void RequestReload()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // One is already pending; it will see this release too.
        }
    }

    /// <summary>Loads once now, so the gateway starts with its catalog (or a logged reason it has none).</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ReloadOnceAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the source once; returns true when a new version was swapped in.</summary>
    public async Task<bool> ReloadOnceAsync(CancellationToken cancellationToken)
    {
        var current = options.CurrentValue.Source;
        if (!options.CurrentValue.IsConfigured)
        {
            // No catalog configured: nothing to load (the gateway balances every path).
            return false;
        }

        try
        {
            var loaded = await source.LoadIfChangedAsync(current, state.IsLoaded ? state.Current.Version : null, cancellationToken, state.IsLoaded ? state.Current : null).ConfigureAwait(false);
            if (loaded is null)
            {
                return false;
            }

            state.Replace(loaded, time.GetUtcNow());
            LogLoaded(logger, loaded.Count, current, loaded.Version);
            return true;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or HttpRequestException or UnauthorizedAccessException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogLoadFailed(logger, current, ex.Message, state.IsLoaded);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // The interval, or a notification, whichever comes first; the loser is cancelled so nothing piles up.
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var interval = Task.Delay(options.CurrentValue.ReloadInterval, time, waiting.Token);
                var notified = _wake.WaitAsync(waiting.Token);
                await Task.WhenAny(interval, notified).ConfigureAwait(false);
                await waiting.CancelAsync().ConfigureAwait(false);
            }

            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            await ReloadOnceAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog loaded: {Files} files from {Source} (version {Version})")]
    private static partial void LogLoaded(ILogger logger, int files, string source, string version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not load the catalog from {Source}: {Reason} (a catalog is already in force: {KeepsPrevious})")]
    private static partial void LogLoadFailed(ILogger logger, string source, string reason, bool keepsPrevious);
}
