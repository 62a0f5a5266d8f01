namespace Gateway.Agent.WebSeed;

/// <summary>
/// Whether the origin still serves one torrent's web seed, as the relay saw it. Once the origin lost the file (404 or
/// 410) or failed <see cref="FailuresBeforeGone"/> times in a row, the relay answers the engine 404, which makes aria2
/// drop the relay's URI for good instead of retrying it without end (the torrent has <c>max-tries=0</c> for the
/// deferrals). Retries that never succeed keep taking the torrent's last free segments for a moment each time, so a
/// peer that has those pieces was kept from delivering them; without the URI the engine fetches them from peers.
/// The agent probes the origin now and then and adds the torrent again (with a fresh relay URI) once it answers.
/// </summary>
public sealed class WebSeedOriginWatch
{
    /// <summary>As aria2's default <c>max-tries</c>: what a published web seed would get before aria2 dropped it.</summary>
    public const int FailuresBeforeGone = 5;

    private readonly Lock _lock = new();
    private int _failures;
    private DateTimeOffset? _goneAt;
    private DateTimeOffset _probeAt;
    private string? _why;
    private Uri? _failedUrl;

    /// <summary>When the origin was found not to serve the web seed; null while it does (or nothing was asked yet).</summary>
    public DateTimeOffset? GoneAt
    {
        get
        {
            lock (_lock)
            {
                return _goneAt;
            }
        }
    }

    /// <summary>The origin URL that failed last: the one to probe.</summary>
    public Uri? FailedUrl
    {
        get
        {
            lock (_lock)
            {
                return _failedUrl;
            }
        }
    }

    /// <summary>What the origin answered last when it failed, for the status page.</summary>
    public string? Why
    {
        get
        {
            lock (_lock)
            {
                return _why;
            }
        }
    }

    /// <summary>The origin served a range: failures before it no longer count.</summary>
    public void Served()
    {
        lock (_lock)
        {
            _failures = 0;
        }
    }

    /// <summary>
    /// The origin failed a range: <paramref name="missing"/> when it said the file is not there (404, 410), which is
    /// final for this torrent; any other failure (refused, reset, 5xx) counts toward <see cref="FailuresBeforeGone"/>.
    /// Returns whether the web seed is now gone.
    /// </summary>
    public bool Failed(bool missing, Uri url, string why, DateTimeOffset now)
    {
        lock (_lock)
        {
            _failures++;
            _why = why;
            _failedUrl = url;
            if (_goneAt is null && (missing || _failures >= FailuresBeforeGone))
            {
                _goneAt = now;
                _probeAt = now;
            }

            return _goneAt is not null;
        }
    }

    /// <summary>Whether the agent should ask the origin again now (gone, and <paramref name="interval"/> since the last probe); takes the turn.</summary>
    public bool TakeProbe(DateTimeOffset now, TimeSpan interval)
    {
        lock (_lock)
        {
            if (_goneAt is null || now < _probeAt)
            {
                return false;
            }

            _probeAt = now + interval;
            return true;
        }
    }
}
