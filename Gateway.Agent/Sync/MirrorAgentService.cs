using Gateway.Agent.Engine;
using Gateway.Agent.Mirror;
using Gateway.Agent.WebSeed;
using Gateway.Core.Catalog;
using Gateway.Core.Torrents;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Sync;

/// <summary>
/// The agent's one loop: follows the publish feed (the origin's manifest, revalidated with a conditional GET),
/// keeps the engine's torrents equal to the ones in scope, watches the engine's progress (starting the SHA-256
/// check of what completes), and restarts the engine when it dies, or reports the agent unhealthy.
/// </summary>
public sealed partial class MirrorAgentService(
    ITorrentEngine engine,
    AgentEndpoints endpoints,
    ManifestSource manifests,
    IHttpClientFactory clients,
    MirrorState state,
    ReleaseSignal release,
    ContentStore store,
    CompletionVerifier verifier,
    IOptions<VolunteerAgentOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<MirrorAgentService> logger) : BackgroundService
{
    private static readonly TimeSpan OriginProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly Queue<DateTimeOffset> _restarts = new();
    private bool _reconcile = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The relay must answer before the engine's first announce: wait for Kestrel to listen.
        await WhenStartedAsync(stoppingToken).ConfigureAwait(false);
        var settings = options.Value;
        store.Prepare();
        await engine.StartAsync(stoppingToken).ConfigureAwait(false);
        state.EngineRunning = true;
        var nextPoll = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested && !state.Draining)
        {
            try
            {
                // The release feed's signal fetches the manifest now; the poll is the fallback when the feed is down.
                if (release.TryConsume() || time.GetUtcNow() >= nextPoll)
                {
                    nextPoll = time.GetUtcNow() + settings.PollInterval;
                    await PollFeedAsync(stoppingToken).ConfigureAwait(false);
                }

                if (!engine.IsRunning)
                {
                    await RecoverEngineAsync(stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    if (_reconcile && state.HasCatalog)
                    {
                        await ReconcileAsync(stoppingToken).ConfigureAwait(false);
                    }

                    await WatchEngineAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or EngineRpcException or IOException or InvalidDataException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogStepFailed(logger, ex.Message);
            }

            try
            {
                await Task.Delay(settings.EngineInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var b = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        await started.Task.ConfigureAwait(false);
    }

    private async Task PollFeedAsync(CancellationToken cancellationToken)
    {
        var loaded = await manifests.LoadIfChangedAsync(options.Value.ManifestUrl, state.HasCatalog ? state.Catalog.Version : null, cancellationToken).ConfigureAwait(false);
        if (loaded is null)
        {
            return;
        }

        state.Catalog = loaded;
        state.HasCatalog = true;
        _reconcile = true;
        LogManifest(logger, loaded.Count, loaded.Manifest.Torrents?.Count ?? 0, loaded.Version);
    }

    /// <summary>Makes the engine hold exactly the torrents in scope: removes the unpublished, adds the new.</summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var plan = new MirrorScope(settings.MirrorPrefixes, settings.QuotaBytes).Plan(state.Catalog.Manifest);
        var wanted = plan.ToDictionary(p => InfoHash.Parse(p.Torrent.InfoHash));
        var keptPaths = new HashSet<string>(
            wanted.Values.SelectMany(p => p.Torrent.Files.Select(f => ManifestTorrent.MovePath(f, p.Torrent.Folder, p.Placement))),
            StringComparer.Ordinal);

        foreach (var gone in state.Torrents().Where(t => !wanted.ContainsKey(t.InfoHash)))
        {
            if (gone.EngineId is { } id)
            {
                await engine.RemoveAsync(id, cancellationToken).ConfigureAwait(false);
            }

            state.Remove(gone.InfoHash);
            foreach (var (local, _) in gone.Files().Where(f => !keptPaths.Contains(f.Local)))
            {
                store.DeleteFile(local);
            }

            DropControlFile(gone);

            LogRemoved(logger, gone.InfoHash, gone.Torrent.Name);
        }

        store.Prune(state.RefreshServed());
        var origin = new Uri(settings.ManifestUrl);
        var now = time.GetUtcNow();
        var waiting = false;
        foreach (var (hash, (torrent, placement)) in wanted)
        {
            var mirrored = state.Find(hash);
            if (mirrored?.EngineId is not null)
            {
                continue;
            }

            if (mirrored?.RetryAt > now)
            {
                waiting = true;
                continue;
            }

            mirrored ??= new MirroredTorrent(torrent, hash, placement);
            foreach (var (local, published) in mirrored.Files())
            {
                if (state.Catalog.Find(published)?.Sha256 is { } sha && store.TryPlace(local, sha))
                {
                    LogPlaced(logger, local, sha);
                }
            }

            var bytes = await clients.CreateClient(nameof(MirrorAgentService)).GetByteArrayAsync(new Uri(origin, torrent.Torrent), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<Uri> webSeeds = [];
            mirrored.WebSeed = null;
            if (settings.WebSeedSlicing && engine.TakesWebSeedRelay && WebSeedLayout.TryRead(bytes, hash, out var layout, out var withoutWebSeeds))
            {
                // The engine reaches the origin only through the relay, which forwards this agent's slice.
                mirrored.WebSeed = new WebSeedSlicing(layout!, hash, now);
                bytes = withoutWebSeeds;
                webSeeds = [endpoints.WebSeedRelayUrl(hash)];
            }

            DropControlFile(mirrored);
            mirrored.EngineId = await engine.AddAsync(bytes, store.FolderPath(placement), webSeeds, cancellationToken).ConfigureAwait(false);
            state.Add(mirrored);
            LogAdded(logger, hash, torrent.Name, placement, torrent.Size);
        }

        // Torrents waiting for their retry time (after an engine error or a failed check) need another round.
        _reconcile = waiting;
    }

    // aria2 keeps a control file <name>.aria2 beside a torrent while it runs, and leaves it when the torrent is removed
    // unfinished. Batches of one folder share a name, so a batch would find another's file and stop ("info hash
    // mismatch"); every add checks the files on disk anyway, so the control file is dropped first.
    private void DropControlFile(MirroredTorrent torrent)
    {
        var controlFile = (torrent.Placement.Length == 0 ? string.Empty : torrent.Placement + "/") + torrent.Torrent.Name + ".aria2";
        if (File.Exists(store.FilePath(controlFile)))
        {
            store.DeleteFile(controlFile);
        }
    }

    private async Task WatchEngineAsync(CancellationToken cancellationToken)
    {
        var snapshot = await engine.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        state.Engine = snapshot;
        var byId = snapshot.Torrents.ToDictionary(t => t.Id, StringComparer.Ordinal);
        foreach (var torrent in state.Torrents())
        {
            if (torrent.EngineId is null || !byId.TryGetValue(torrent.EngineId, out var seen))
            {
                continue;
            }

            torrent.Engine = seen;
            var now = time.GetUtcNow();
            if (seen.Status == "error")
            {
                // aria2 gave up on it (a tracker or web seed it could not reach, a file it could not write):
                // drop it and add it again a little later; its files are checked, not fetched again.
                torrent.Problem = seen.Error;
                torrent.EngineId = null;
                torrent.RetryAt = time.GetUtcNow() + TimeSpan.FromSeconds(5);
                await engine.RemoveAsync(seen.Id, cancellationToken).ConfigureAwait(false);
                LogEngineError(logger, torrent.InfoHash, seen.Error ?? "no message");
                _reconcile = true;
            }
            else if (!seen.IsComplete && torrent.WebSeed is { } webSeed && webSeed.Origin.TakeProbe(now, options.Value.WebSeedOriginProbe)
                && await OriginServesAsync(webSeed.Origin.FailedUrl!, cancellationToken).ConfigureAwait(false))
            {
                // The engine dropped the relay's URI when the origin stopped serving it; adding the torrent again gives
                // it back (a fresh relay state), and its pieces on disk are checked, not fetched again.
                await engine.RemoveAsync(seen.Id, cancellationToken).ConfigureAwait(false);
                LogWebSeedBack(logger, torrent.InfoHash, webSeed.Origin.FailedUrl!);
                torrent.RetryAt = now + TimeSpan.FromSeconds(2);
                torrent.EngineId = null;
                _reconcile = true;
            }
            else if (seen.IsComplete && torrent.Phase == TorrentPhase.Fetching)
            {
                _ = verifier.EnsureVerifiedAsync(torrent);
            }
            else if (torrent.Phase == TorrentPhase.Failed && torrent.FailedVerifications < options.Value.VerifyAttempts && now >= torrent.RetryAt)
            {
                // The engine's pieces matched the torrent but a file did not match the catalog (a disk that changed
                // it, or a torrent that disagrees with the catalog): drop the files that failed and fetch them again.
                await engine.RemoveAsync(seen.Id, cancellationToken).ConfigureAwait(false);
                foreach (var local in torrent.MismatchedFiles)
                {
                    store.DeleteFile(local);
                }

                LogFetchingAgain(logger, torrent.InfoHash, torrent.MismatchedFiles.Count, torrent.FailedVerifications + 1);

                // aria2 finishes a removal after answering; adding the same info hash before that fails ("already
                // registered") and costs the longer engine-error wait, so give the removal a moment.
                torrent.RetryAt = now + TimeSpan.FromSeconds(2);
                torrent.EngineId = null;
                torrent.Verification = null;
                torrent.Phase = TorrentPhase.Fetching;
                _reconcile = true;
            }
        }
    }

    /// <summary>Whether the origin serves <paramref name="url"/> again: its first byte, as the engine would ask for it.</summary>
    private async Task<bool> OriginServesAsync(Uri url, CancellationToken cancellationToken)
    {
        // The probe runs in the engine watch loop: an origin that hangs must not hold the loop for the client's 100 s.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(OriginProbeTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 0);
        try
        {
            using var response = await clients.CreateClient(nameof(MirrorAgentService)).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private async Task RecoverEngineAsync(CancellationToken cancellationToken)
    {
        state.EngineRunning = false;
        var now = time.GetUtcNow();
        while (_restarts.Count > 0 && now - _restarts.Peek() > TimeSpan.FromMinutes(10))
        {
            _restarts.Dequeue();
        }

        if (_restarts.Count >= options.Value.EngineRestarts)
        {
            if (state.Healthy)
            {
                state.Healthy = false;
                LogUnhealthy(logger, engine.Name, _restarts.Count);
            }

            return;
        }

        _restarts.Enqueue(now);
        state.EngineRestarts++;
        LogRestarting(logger, engine.Name);
        await engine.StartAsync(cancellationToken).ConfigureAwait(false);
        state.EngineRunning = true;

        // The new engine knows no torrents: add every one again (their files are checked, not fetched).
        foreach (var torrent in state.Torrents())
        {
            torrent.EngineId = null;
        }

        _reconcile = true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Manifest loaded: {Files} files, {Torrents} torrents (version {Version})")]
    private static partial void LogManifest(ILogger logger, int files, int torrents, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mirroring torrent {InfoHash} ({Name}) into '{Placement}', {Bytes} bytes")]
    private static partial void LogAdded(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, string name, string placement, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Torrent {InfoHash} ({Name}) was unpublished or left the scope: removed with its files")]
    private static partial void LogRemoved(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path}: content {Sha256} is already held; linked instead of fetched")]
    private static partial void LogPlaced(ILogger logger, string path, string sha256);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The engine stopped torrent {InfoHash} with an error ({Error}); adding it again shortly")]
    private static partial void LogEngineError(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Torrent {InfoHash}: {Files} files failed the SHA-256 check; fetching them again (attempt {Attempt})")]
    private static partial void LogFetchingAgain(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, int files, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent step failed (retried next round): {Reason}")]
    private static partial void LogStepFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The origin serves the web seed {Url} again: adding torrent {InfoHash} again to give the engine its web seed back")]
    private static partial void LogWebSeedBack(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, Uri url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Engine} engine is not running: restarting it")]
    private static partial void LogRestarting(ILogger logger, string engine);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Engine} engine died {Restarts} times in ten minutes: the agent reports itself unhealthy")]
    private static partial void LogUnhealthy(ILogger logger, string engine, int restarts);
}
