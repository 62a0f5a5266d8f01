using Gateway.Core.Catalog;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery;

/// <summary>What the gateway knows about one customer request as it moves through the proxy pipeline.</summary>
public sealed class DownloadFeature(string path)
{
    /// <summary>The normalized path (no leading '/').</summary>
    public string Path { get; } = path;

    /// <summary>The published file, when the path is in the catalog.</summary>
    public CatalogEntry? Entry { get; set; }

    /// <summary>The healthy, enabled holders, before the policy picked one (proxy failover picks again from them).</summary>
    public IReadOnlyList<DestinationState>? Candidates { get; set; }

    /// <summary>Set by the response transform when a volunteer answered 5xx and the body was held back for a retry.</summary>
    public bool VolunteerFailed { get; set; }

    /// <summary>True while another attempt is still possible, so a 5xx may be held back.</summary>
    public bool CanRetry { get; set; }
}
