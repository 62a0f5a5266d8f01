using Microsoft.Extensions.Options;

namespace Gateway.Feedback.Tracker;

/// <summary>The BitTorrent tracker (section <c>Tracker</c>); see docs/tracker.md.</summary>
public sealed class TrackerOptions
{
    public const string Section = "Tracker";

    /// <summary>Host the tracker inside the gateway process (the <c>tracker</c> command always hosts it).</summary>
    public bool Enabled { get; set; }

    /// <summary>HTTP listen URLs of the tracker (its own port, never the gateway's), separated by ';': <c>http://</c>, an IP address or <c>localhost</c>, a port.</summary>
    public string Urls { get; set; } = "http://0.0.0.0:6969";

    /// <summary>Time a client has to send a request head (whole, not per read) and to take its reply; also the idle limit of a kept-alive connection.</summary>
    public TimeSpan HttpRequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTP connections open at once; more are closed at accept.</summary>
    public int HttpMaxConnections { get; set; } = 4096;

    /// <summary>UDP (BEP 15) port; 0 picks a free one, -1 turns UDP off.</summary>
    public int UdpPort { get; set; } = 6969;

    /// <summary>Address UDP binds to.</summary>
    public string UdpAddress { get; set; } = "0.0.0.0";

    /// <summary>How often clients should announce.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The shortest announce interval a client may use.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often keyed volunteers (announcing to <c>/announce/{key}</c>) should announce. Their load report rides on the
    /// announce, and <c>Selection:FeedbackMaxAge</c> (3 × this by default) is how long a report counts: with the general
    /// <see cref="Interval"/> of 5 minutes a report would be unknown most of the time. Other peers keep <see cref="Interval"/>.
    /// </summary>
    public TimeSpan VolunteerInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The <c>min interval</c> told to keyed volunteers. Default: <see cref="VolunteerInterval"/>, because aria2 announces
    /// every <c>min interval</c> (not <c>interval</c>) while Transmission follows <c>interval</c>; equal, both keep one cadence.
    /// </summary>
    public TimeSpan? VolunteerMinInterval { get; set; }

    /// <summary>A peer that has not announced for this long is dropped (and a volunteer loses its holdings). Default: 2.5 × the longer of Interval and VolunteerInterval.</summary>
    public TimeSpan? PeerLifetime { get; set; }

    /// <summary>How often expired peers are swept.</summary>
    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Peers returned when the client does not say (<c>numwant</c>).</summary>
    public int DefaultNumWant { get; set; } = 50;

    /// <summary>Most peers returned, whatever the client asks for.</summary>
    public int MaxNumWant { get; set; } = 200;

    /// <summary>Most info hashes in one scrape.</summary>
    public int MaxScrapeHashes { get; set; } = 64;

    /// <summary>Let peers without a volunteer key announce (download); they are never holders.</summary>
    public bool AllowAnonymous { get; set; } = true;

    /// <summary>Requests per second one address may make (HTTP and UDP together); 0 turns the limit off.</summary>
    public int RateLimitPerSecond { get; set; } = 50;

    /// <summary>Requests one address may make at once above its rate.</summary>
    public int RateLimitBurst { get; set; } = 100;

    /// <summary>
    /// Datagrams one receive call may take on Linux (<c>recvmmsg</c>; replies go out with one <c>sendmmsg</c>); 1 reads
    /// one at a time. Small enough that a batch held by a thread the scheduler set aside is not many clients'
    /// worth of waiting (the other threads take what arrives meanwhile), large enough to share the call's cost.
    /// </summary>
    public int UdpBatchSize { get; set; } = 16;

    /// <summary>
    /// Threads receiving on the UDP socket; 0: one per two cores (at least one), leaving the rest to HTTP announces and,
    /// when hosted, to the gateway. More threads on one socket only contend when a core cannot keep up with its stream.
    /// </summary>
    public int UdpThreads { get; set; }

    /// <summary>
    /// How long a UDP receive thread polls for the next datagram before it sleeps in the kernel, while datagrams arrive
    /// in a steady stream (average gap under a quarter of this; see <c>PollGate</c>; Linux batch loop); zero: always
    /// sleep at once. Waking a sleeping thread costs more than an announce, so a busy tracker answers sooner and more
    /// per core by polling; an idle one does not poll. (HTTP accept threads do not poll: measured, a spinning accept
    /// thread takes the core that the connections' own kernel work needs.)
    /// </summary>
    public TimeSpan UdpPoll { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>UDP receive threads to start for <see cref="UdpThreads"/> on a machine with this many cores.</summary>
    public int UdpThreadCount(int processorCount) => UdpThreads > 0 ? UdpThreads : Math.Max(1, processorCount / 2);

    /// <summary>
    /// The standalone <c>tracker</c> command's Prometheus listener (<c>/metrics</c> only), e.g. <c>http://0.0.0.0:9471</c>;
    /// empty: none. A tracker hosted by a gateway exports on the gateway's <c>/metrics</c> and ignores it.
    /// </summary>
    public string MetricsUrl { get; set; } = string.Empty;

    /// <summary>Base64 key (16+ bytes) for UDP connection ids; empty: a random key per process (ids then last one process).</summary>
    public string UdpSecret { get; set; } = string.Empty;

    /// <summary>The effective <see cref="VolunteerMinInterval"/>.</summary>
    public TimeSpan EffectiveVolunteerMinInterval => VolunteerMinInterval ?? VolunteerInterval;

    /// <summary>The effective peer lifetime.</summary>
    public TimeSpan EffectivePeerLifetime => PeerLifetime ?? (Interval > VolunteerInterval ? Interval : VolunteerInterval) * 2.5;

    /// <summary>The endpoints of <see cref="Urls"/> (validated): <c>localhost</c> is 127.0.0.1, <c>[::]</c> takes IPv4 too.</summary>
    public static IReadOnlyList<System.Net.IPEndPoint> ListenEndPoints(string urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var endPoints = new List<System.Net.IPEndPoint>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryListenEndPoint(url, out var endPoint))
            {
                throw new OptionsValidationException(Section, typeof(TrackerOptions), [$"Tracker:Urls '{url}' is not http://ADDRESS:PORT"]);
            }

            endPoints.Add(endPoint);
        }

        return endPoints;
    }

    internal static bool TryListenEndPoint(string url, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out System.Net.IPEndPoint? endPoint)
    {
        endPoint = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.PathAndQuery != "/" || uri.Port is < 0 or > 65535)
        {
            return false;
        }

        var host = uri.Host.Trim('[', ']');
        var address = host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.TryParse(host, out var parsed) ? parsed : null;
        endPoint = address is null ? null : new System.Net.IPEndPoint(address, uri.Port);
        return endPoint is not null;
    }
}

/// <summary>Checks <see cref="TrackerOptions"/> at start, naming the key that is wrong.</summary>
public sealed class TrackerOptionsValidator : IValidateOptions<TrackerOptions>
{
    public ValidateOptionsResult Validate(string? name, TrackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        foreach (var url in options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TrackerOptions.TryListenEndPoint(url, out _))
            {
                errors.Add($"Tracker:Urls '{url}' must be http://ADDRESS:PORT with an IP address or localhost, such as http://0.0.0.0:6969 (the tracker serves plain HTTP).");
            }
        }

        if (options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries).Length == 0)
        {
            errors.Add("Tracker:Urls must name at least one URL, such as http://0.0.0.0:6969.");
        }

        if (options.HttpRequestTimeout < TimeSpan.FromMilliseconds(100) || options.HttpRequestTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Tracker:HttpRequestTimeout {options.HttpRequestTimeout} must be between 00:00:00.1 and 00:05:00.");
        }

        if (options.MetricsUrl.Length > 0 && !TrackerOptions.TryListenEndPoint(options.MetricsUrl, out _))
        {
            errors.Add($"Tracker:MetricsUrl '{options.MetricsUrl}' must be empty or http://ADDRESS:PORT, such as http://0.0.0.0:9471 (Prometheus scrapes /metrics there).");
        }

        if (options.UdpBatchSize is < 1 or > 64)
        {
            errors.Add($"Tracker:UdpBatchSize {options.UdpBatchSize} must be 1-64.");
        }

        if (options.UdpThreads is < 0 or > 256)
        {
            errors.Add($"Tracker:UdpThreads {options.UdpThreads} must be 0 (one per two cores) to 256.");
        }

        if (options.UdpPoll < TimeSpan.Zero || options.UdpPoll > TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"Tracker:UdpPoll {options.UdpPoll} must be 00:00:00 (never poll) to 00:00:00.1.");
        }

        if (options.HttpMaxConnections is < 1 or > 1_000_000)
        {
            errors.Add($"Tracker:HttpMaxConnections {options.HttpMaxConnections} must be 1-1000000.");
        }

        if (options.UdpPort is < -1 or > 65535)
        {
            errors.Add($"Tracker:UdpPort {options.UdpPort} must be -1 (off), 0 (any) or a port up to 65535.");
        }

        if (!System.Net.IPAddress.TryParse(options.UdpAddress, out _))
        {
            errors.Add($"Tracker:UdpAddress '{options.UdpAddress}' must be an IP address.");
        }

        if (options.MinInterval < TimeSpan.FromSeconds(1) || options.Interval < options.MinInterval || options.Interval > TimeSpan.FromDays(1))
        {
            errors.Add($"Tracker:Interval {options.Interval} and Tracker:MinInterval {options.MinInterval} need 1 s <= MinInterval <= Interval <= 1 day.");
        }

        if (options.EffectiveVolunteerMinInterval < TimeSpan.FromSeconds(1) || options.VolunteerInterval < options.EffectiveVolunteerMinInterval || options.VolunteerInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"Tracker:VolunteerInterval {options.VolunteerInterval} and Tracker:VolunteerMinInterval {options.EffectiveVolunteerMinInterval} need 1 s <= VolunteerMinInterval <= VolunteerInterval <= 1 day.");
        }

        if (options.EffectivePeerLifetime <= options.VolunteerInterval)
        {
            errors.Add($"Tracker:PeerLifetime {options.EffectivePeerLifetime} must be longer than Tracker:VolunteerInterval {options.VolunteerInterval}, or volunteers expire (and lose their holdings) between announces.");
        }

        if (options.EffectivePeerLifetime <= options.Interval)
        {
            errors.Add($"Tracker:PeerLifetime {options.EffectivePeerLifetime} must be longer than Tracker:Interval {options.Interval}, or peers expire between announces.");
        }

        if (options.ExpiryInterval < TimeSpan.FromMilliseconds(100))
        {
            errors.Add($"Tracker:ExpiryInterval {options.ExpiryInterval} is too short; use at least 00:00:00.1.");
        }

        if (options.MaxNumWant is < 1 or > 2000 || options.DefaultNumWant < 0 || options.DefaultNumWant > options.MaxNumWant)
        {
            errors.Add($"Tracker:MaxNumWant {options.MaxNumWant} must be 1-2000 and Tracker:DefaultNumWant {options.DefaultNumWant} between 0 and it.");
        }

        if (options.MaxScrapeHashes is < 1 or > 1000)
        {
            errors.Add($"Tracker:MaxScrapeHashes {options.MaxScrapeHashes} must be 1-1000.");
        }

        if (options.RateLimitPerSecond < 0 || options.RateLimitBurst < 1)
        {
            errors.Add($"Tracker:RateLimitPerSecond {options.RateLimitPerSecond} must be 0 (off) or more and Tracker:RateLimitBurst {options.RateLimitBurst} at least 1.");
        }

        if (options.UdpSecret.Length > 0 && !(TryBase64(options.UdpSecret, out var length) && length >= 16))
        {
            errors.Add("Tracker:UdpSecret must be base64 of at least 16 bytes, or empty for a random key per process.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool TryBase64(string text, out int length)
    {
        var buffer = new byte[text.Length];
        var ok = Convert.TryFromBase64String(text, buffer, out length);
        return ok;
    }
}
