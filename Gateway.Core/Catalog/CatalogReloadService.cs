using Microsoft.Extensions.Options;

namespace Gateway.Core.Catalog;

/// <summary>Loads the manifest at start and swaps in each new version; requests in flight keep the one they took.</summary>
public sealed partial class CatalogReloadService(
    ManifestSource source,
    CatalogState state,
    IOptionsMonitor<CatalogOptions> options,
    TimeProvider time,
    ILogger<CatalogReloadService> logger) : BackgroundService
{
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
            try
            {
                await Task.Delay(options.CurrentValue.ReloadInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await ReloadOnceAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog loaded: {Files} files from {Source} (version {Version})")]
    private static partial void LogLoaded(ILogger logger, int files, string source, string version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not load the catalog from {Source}: {Reason} (a catalog is already in force: {KeepsPrevious})")]
    private static partial void LogLoadFailed(ILogger logger, string source, string reason, bool keepsPrevious);
}
