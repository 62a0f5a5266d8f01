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

    /// <summary>The last volunteer whose attempt served the customer bytes (proxy mode), for the access log.</summary>
    public string? ServedBy { get; private set; }

    /// <summary>Each attempt on a volunteer in order, as <c>id</c> when it served and <c>id:failure</c> when not (proxy mode).</summary>
    public IReadOnlyList<string> Attempts => _more ?? (_first is null ? [] : [_first]);

    // The common request has one attempt that served: it is kept as the volunteer's id, with nothing allocated.
    private string? _first;
    private List<string>? _more;

    /// <summary>Notes one attempt on <paramref name="volunteer"/>: <paramref name="failure"/> null when it served; <paramref name="bytesSent"/> it passed on.</summary>
    public void RecordAttempt(string volunteer, string? failure, long bytesSent)
    {
        var attempt = failure is null ? volunteer : $"{volunteer}:{failure}";
        if (_first is null)
        {
            _first = attempt;
        }
        else
        {
            (_more ??= [_first]).Add(attempt);
        }

        if (failure is null || bytesSent > 0)
        {
            ServedBy = volunteer;
        }
    }
}
