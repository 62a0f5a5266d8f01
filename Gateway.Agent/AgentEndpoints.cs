namespace Gateway.Agent;

/// <summary>The agent's own URLs, known once Kestrel listens (a configured port 0 becomes a real one).</summary>
public sealed class AgentEndpoints
{
    private Uri? _control;

    /// <summary>The control listener's base URL (loopback), ending with '/'.</summary>
    public Uri ControlUrl
    {
        get => _control ?? throw new InvalidOperationException("The agent's control listener has not started.");
        set => _control = value;
    }

    /// <summary>The customers' listener's base URL as bound, ending with '/'.</summary>
    public Uri? ListenUrl { get; set; }

    /// <summary>The metrics listener's base URL when <c>Volunteer:MetricsListen</c> is set.</summary>
    public Uri? MetricsUrl { get; set; }

    /// <summary>Where the engine announces: the relay on the control listener.</summary>
    public Uri AnnounceRelayUrl => new(ControlUrl, "announce");

    /// <summary>The engine's web seed for one torrent: the web-seed relay on the control listener (a folder URL; BEP 19 appends name/path).</summary>
    public Uri WebSeedRelayUrl(Gateway.Core.Torrents.InfoHash infoHash) => new(ControlUrl, "webseed/" + infoHash.ToString() + "/");
}
