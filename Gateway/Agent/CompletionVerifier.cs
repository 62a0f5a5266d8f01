using System.Security.Cryptography;

namespace Gateway.Agent;

/// <summary>
/// Checks a torrent the engine completed against the catalog's SHA-256 of each file (BitTorrent's SHA-1 pieces
/// come from the same publisher, but customers are promised the catalog's digest), then stores the content once.
/// </summary>
public sealed partial class CompletionVerifier(MirrorState state, ContentStore store, ILogger<CompletionVerifier> logger)
{
    /// <summary>Starts the check once per completion and returns it; later callers get the same task.</summary>
    public Task<bool> EnsureVerifiedAsync(MirroredTorrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        lock (torrent)
        {
            if (torrent.Verification is null)
            {
                torrent.Phase = TorrentPhase.Verifying;
                torrent.Verification = Task.Run(() => VerifyAsync(torrent));
            }

            return torrent.Verification;
        }
    }

    private async Task<bool> VerifyAsync(MirroredTorrent torrent)
    {
        var catalog = state.Catalog;
        try
        {
            foreach (var (local, published) in torrent.Files())
            {
                var expected = catalog.Find(published)?.Sha256;
                var actual = await HashAsync(store.FilePath(local)).ConfigureAwait(false);
                if (expected is null || actual != expected)
                {
                    torrent.Phase = TorrentPhase.Failed;
                    torrent.Problem = $"{local}: SHA-256 {actual} does not match the catalog's {expected ?? "(not in the catalog)"}";
                    LogMismatch(logger, torrent.InfoHash, torrent.Problem);
                    return false;
                }

                store.Keep(local, actual);
            }
        }
        catch (IOException ex)
        {
            torrent.Phase = TorrentPhase.Failed;
            torrent.Problem = ex.Message;
            LogMismatch(logger, torrent.InfoHash, ex.Message);
            return false;
        }

        torrent.Phase = TorrentPhase.Verified;
        torrent.Problem = null;
        state.RefreshServed();
        LogVerified(logger, torrent.InfoHash, torrent.Torrent.Name, torrent.Torrent.Files.Count);
        return true;
    }

    private static async Task<string> HashAsync(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            var hash = await SHA256.HashDataAsync(file).ConfigureAwait(false);
            return Convert.ToHexStringLower(hash);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Torrent {InfoHash} ({Name}, {Files} files) verified against the catalog: serving it")]
    private static partial void LogVerified(ILogger logger, Gateway.Feedback.Torrents.InfoHash infoHash, string name, int files);

    [LoggerMessage(Level = LogLevel.Error, Message = "Torrent {InfoHash} failed verification, not served: {Problem}")]
    private static partial void LogMismatch(ILogger logger, Gateway.Feedback.Torrents.InfoHash infoHash, string problem);
}
