using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Mirror;

/// <summary>
/// Checks a torrent the engine completed against the catalog's SHA-256 of each file (BitTorrent's SHA-1 pieces
/// come from the same publisher, but customers are promised the catalog's digest), then stores the content once.
/// </summary>
public sealed partial class CompletionVerifier(MirrorState state, ContentStore store, IOptions<VolunteerAgentOptions> options, TimeProvider time, ILogger<CompletionVerifier> logger)
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
        var mismatched = new List<string>();
        var problems = new List<string>();
        try
        {
            foreach (var (local, published) in torrent.Files())
            {
                var expected = catalog.Find(published)?.Sha256;
                var actual = await HashAsync(store.FilePath(local)).ConfigureAwait(false);
                if (expected is null || actual != expected)
                {
                    mismatched.Add(local);
                    problems.Add($"{local}: SHA-256 {actual} does not match the catalog's {expected ?? "(not in the catalog)"}");
                    continue;
                }

                store.Keep(local, actual);
            }
        }
        catch (IOException ex)
        {
            problems.Add(ex.Message);
        }

        if (problems.Count > 0)
        {
            Fail(torrent, mismatched, string.Join("; ", problems));
            return false;
        }

        torrent.Phase = TorrentPhase.Verified;
        torrent.Problem = null;
        state.RefreshServed();
        LogVerified(logger, torrent.InfoHash, torrent.Torrent.Name, torrent.Torrent.Files.Count);
        return true;
    }

    /// <summary>Marks the torrent failed and, while attempts are left, when it is fetched again (the wait doubles each time).</summary>
    private void Fail(MirroredTorrent torrent, List<string> mismatched, string problem)
    {
        var settings = options.Value;
        torrent.FailedVerifications++;
        torrent.MismatchedFiles = mismatched;
        if (torrent.FailedVerifications < settings.VerifyAttempts)
        {
            var wait = settings.VerifyRetryDelay * Math.Pow(2, torrent.FailedVerifications - 1);
            torrent.RetryAt = time.GetUtcNow() + wait;
            torrent.Problem = $"{problem} (check {torrent.FailedVerifications} of {settings.VerifyAttempts} failed; fetching again in {wait.TotalSeconds:F1} s)";
            LogMismatch(logger, torrent.InfoHash, torrent.Problem);
        }
        else
        {
            torrent.Problem = $"{problem} (gave up after {torrent.FailedVerifications} failed checks: not served)";
            LogGaveUp(logger, torrent.InfoHash, torrent.Problem);
        }

        // Last: the agent's loop acts on the phase, and must see the retry time and the files first.
        torrent.Phase = TorrentPhase.Failed;
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
    private static partial void LogVerified(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, string name, int files);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Torrent {InfoHash} failed verification, not served: {Problem}")]
    private static partial void LogMismatch(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Torrent {InfoHash} is unhealthy: {Problem}")]
    private static partial void LogGaveUp(ILogger logger, Gateway.Core.Torrents.InfoHash infoHash, string problem);
}
