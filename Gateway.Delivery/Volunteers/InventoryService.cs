using Gateway.Core.Catalog;
using Gateway.Feedback.Tracker;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Volunteers;

/// <summary>
/// Fills the holdings store from the volunteers' configured inventories (<c>Volunteers:N:Inventory</c>): the
/// simple way to say who holds what before (or without) the tracker. Volunteers without one are left to the tracker.
/// When the store lost its state (<see cref="IStoreResets"/>) every inventory is read and written again at once.
/// </summary>
public sealed partial class InventoryService(
    InventoryReader reader,
    IHoldingsStore store,
    IStoreResets resets,
    CatalogState catalog,
    IOptionsMonitor<VolunteerSetOptions> volunteers,
    IOptionsMonitor<GatewayOptions> gateway,
    IOptionsMonitor<TrackerOptions> tracker,
    TimeProvider time,
    ILogger<InventoryService> logger) : BackgroundService
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _lastRead = new(StringComparer.Ordinal);

    /// <summary>When the volunteer's configured inventory was last read and written to the store; null when never (or it has none).</summary>
    public DateTimeOffset? LastRead(string volunteerId) => _lastRead.TryGetValue(volunteerId, out var at) ? at : null;

    /// <summary>Reads every inventory once before the gateway serves, so the first request sees holders.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads every configured inventory and replaces what the store says each volunteer holds.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var current = catalog.Current;
        foreach (var volunteer in volunteers.CurrentValue.Members)
        {
            // With the tracker on, a keyed volunteer's holdings come from its announces, not from a list.
            if (string.IsNullOrWhiteSpace(volunteer.Inventory) || (tracker.CurrentValue.Enabled && !string.IsNullOrEmpty(volunteer.Key)))
            {
                continue;
            }

            try
            {
                IReadOnlyCollection<string> contents = string.Equals(volunteer.Inventory, InventoryReader.All, StringComparison.OrdinalIgnoreCase)
                    ? current.ContentIds
                    : current.ResolveInventory(await reader.ReadLinesAsync(volunteer.Inventory, cancellationToken).ConfigureAwait(false));
                await store.ReplaceHoldingsAsync(volunteer.Id, contents, cancellationToken).ConfigureAwait(false);
                _lastRead[volunteer.Id] = time.GetUtcNow();
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or UnauthorizedAccessException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Keep what the store had: an unreachable inventory says nothing about what the volunteer holds.
                LogInventoryFailed(logger, volunteer.Id, volunteer.Inventory, ex.Message);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seenCatalog = catalog.Current;
        var seenResets = resets.Resets;
        var seenVolunteers = volunteers.CurrentValue;
        var nextFull = time.GetUtcNow() + gateway.CurrentValue.InventoryRefresh;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Wake often enough to follow a catalog reload quickly; read inventories at their own pace.
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (resets.Resets != seenResets)
            {
                seenResets = resets.Resets;
                LogRewriting(logger);
                nextFull = DateTimeOffset.MinValue;
            }

            // A volunteer added (or its inventory changed) by a configuration reload is read now, not at the next refresh.
            if (!ReferenceEquals(seenVolunteers, volunteers.CurrentValue))
            {
                seenVolunteers = volunteers.CurrentValue;
                nextFull = DateTimeOffset.MinValue;
            }

            if (!ReferenceEquals(seenCatalog, catalog.Current) || time.GetUtcNow() >= nextFull)
            {
                seenCatalog = catalog.Current;
                nextFull = time.GetUtcNow() + gateway.CurrentValue.InventoryRefresh;
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The holdings store lost its state: writing every configured inventory again")]
    private static partial void LogRewriting(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the inventory of volunteer {Volunteer} from {Source}: {Reason}")]
    private static partial void LogInventoryFailed(ILogger logger, string volunteer, string source, string reason);
}
