using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery;

/// <summary>How a volunteer is chosen among the holders (section <c>Selection</c>).</summary>
public sealed class SelectionOptions
{
    public const string Section = "Selection";

    /// <summary>The default policy's name (the feedback policy's <c>Name</c>).</summary>
    public const string DefaultPolicy = "FeedbackPowerOfTwo";

    /// <summary>The cluster's load-balancing policy by name (<see cref="DefaultPolicy"/> by default).</summary>
    public string Policy { get; set; } = DefaultPolicy;

    /// <summary>Seed for the policy's random choices; set it to make a run repeatable (tests, experiments).</summary>
    public int? Seed { get; set; }

    /// <summary>Volunteer announce intervals a report counts for when <see cref="FeedbackMaxAge"/> is not set: two announces may be late or lost.</summary>
    public const int FeedbackMaxAgeIntervals = 3;

    /// <summary>
    /// A load report older than this is unknown, not zero. Not set: <see cref="FeedbackMaxAgeIntervals"/> ×
    /// <c>Tracker:VolunteerInterval</c> (90 s with its default of 30 s; see <see cref="DefaultFeedbackMaxAge"/>), so changing
    /// how often volunteers announce keeps their reports fresh. Set: it must be longer than that interval when the
    /// tracker runs in this process (validated), and the gateway warns at start when it is not longer otherwise.
    /// </summary>
    public TimeSpan FeedbackMaxAge { get; set; } = DefaultFeedbackMaxAge(new TrackerOptions());

    /// <summary>The max age when <see cref="FeedbackMaxAge"/> is not configured: <see cref="FeedbackMaxAgeIntervals"/> volunteer announce intervals.</summary>
    public static TimeSpan DefaultFeedbackMaxAge(TrackerOptions tracker)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        return tracker.VolunteerInterval * FeedbackMaxAgeIntervals;
    }

    /// <summary>Redirects this gateway made count toward a volunteer's load for at most this long (or until its next report, or until their expected transfer time has passed).</summary>
    public TimeSpan DispatchMemory { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A redirect counts as load at least this long, however small the file: the customer still has to follow it,
    /// connect and ask. About a round trip and a connection setup of the customers' network; on a LAN or in a lab on
    /// loopback much less than on the internet.
    /// </summary>
    public TimeSpan ShortestRedirect { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Most BitTorrent upload connections counted as load, each like one customer transfer (BitTorrent uploads
    /// to about four unchoked peers at a time). A volunteer uploading reports its connections (<c>x_peers</c>);
    /// one that reports none is counted by its rate: a full link is this many transfers.
    /// </summary>
    public double SyncLoadWeight { get; set; } = 4;

    /// <summary>
    /// Holders compared per pick (2–64), all of them when there are no more. Feedback is stale between
    /// announces; the ledger's own redirects already keep picks from herding, so comparing more than two
    /// only finds the idle ones more often (with 4 of 8 holders syncing, two random ones are both busy 3 times in 14).
    /// 64, not 8: in a release-day flash crowd the holders of the new package arrive one by one while its requests
    /// pile up on the first ones, and 8 random holders out of dozens mostly miss the newest, empty ones (simulated
    /// at 1,000 and 10,000 volunteers: p99 1.24× and 1.46× the oracle's with 8, 1.00× and 1.07× with 64).
    /// </summary>
    public int Candidates { get; set; } = 64;

    /// <summary>
    /// Upload capacity assumed for a volunteer whose report carries none (<c>x_cap</c>), to estimate how long a
    /// redirect keeps it busy; 0 = unknown, and a redirect counts until the next report (or the dispatch memory).
    /// </summary>
    public long AssumedCapacityBytesPerSecond { get; set; }

    /// <summary>
    /// Stops counting a report's customer transfers once their bytes left (<c>x_http_left</c>) could have drained at
    /// the customers' share of the capacity, so a report of a few small transfers stops counting once they must be
    /// over instead of for a whole announce interval. Off: a report counts as sent until the next one.
    /// </summary>
    public bool DrainReportedTransfers { get; set; } = true;

    /// <summary>
    /// Of candidates with the same estimated load, picks the one whose customer transfers have the fewest bytes left
    /// to send (the reported <c>x_http_left</c> drained since the report, plus this gateway's redirects since), where a
    /// new transfer ends first. Off: ties go to the first candidate drawn (random).
    /// </summary>
    public bool TieBreakOnBytesLeft { get; set; } = true;
}

internal sealed class SelectionOptionsValidator(IOptionsMonitor<TrackerOptions> tracker) : IValidateOptions<SelectionOptions>
{
    public ValidateOptionsResult Validate(string? name, SelectionOptions options)
    {
        var errors = new List<string>();
        var trackerSettings = tracker.CurrentValue;
        if (trackerSettings.Enabled && options.FeedbackMaxAge <= trackerSettings.VolunteerInterval)
        {
            // The tracker in this process tells volunteers to announce this often: a shorter max age makes every report unknown part of the time.
            errors.Add($"Selection:FeedbackMaxAge {options.FeedbackMaxAge} must be longer than Tracker:VolunteerInterval {trackerSettings.VolunteerInterval}, how often this gateway's tracker has volunteers announce their load; leave it unset for {SelectionOptions.FeedbackMaxAgeIntervals} × that interval.");
        }

        if (string.IsNullOrWhiteSpace(options.Policy))
        {
            errors.Add("Selection:Policy must name a load-balancing policy, e.g. 'FeedbackPowerOfTwo', 'PowerOfTwoChoices', 'RoundRobin', 'LeastRequests', 'Random'.");
        }

        if (options.FeedbackMaxAge <= TimeSpan.Zero)
        {
            errors.Add($"Selection:FeedbackMaxAge {options.FeedbackMaxAge} must be positive.");
        }

        if (options.DispatchMemory < TimeSpan.FromSeconds(1) || options.DispatchMemory > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Selection:DispatchMemory {options.DispatchMemory} must be between 00:00:01 and 00:10:00.");
        }

        if (options.ShortestRedirect < TimeSpan.Zero || options.ShortestRedirect > options.DispatchMemory)
        {
            errors.Add($"Selection:ShortestRedirect {options.ShortestRedirect} must be between 00:00:00 and Selection:DispatchMemory ({options.DispatchMemory}).");
        }

        if (options.SyncLoadWeight is < 0 or > 1000 || double.IsNaN(options.SyncLoadWeight))
        {
            errors.Add($"Selection:SyncLoadWeight {options.SyncLoadWeight} must be between 0 and 1000.");
        }

        if (options.Candidates is < 2 or > 64)
        {
            errors.Add($"Selection:Candidates {options.Candidates} must be between 2 and 64.");
        }

        if (options.AssumedCapacityBytesPerSecond < 0)
        {
            errors.Add($"Selection:AssumedCapacityBytesPerSecond {options.AssumedCapacityBytesPerSecond} must be 0 (unknown) or positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
