using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery;

/// <summary>
/// Warns at start when <c>Selection:FeedbackMaxAge</c> is not longer than <c>Tracker:VolunteerInterval</c> while the
/// tracker runs elsewhere: this process cannot know the other tracker's interval (validation refuses the same setting
/// when the tracker runs here), but if it is the one configured here, every volunteer's report is unknown part of each
/// interval and the policy balances on this gateway's own dispatches alone.
/// </summary>
public sealed partial class FeedbackAgeCheck(IOptions<SelectionOptions> selection, IOptions<TrackerOptions> tracker, ILogger<FeedbackAgeCheck> logger)
{
    /// <summary>Logs the warning if it applies; returns whether it did.</summary>
    public bool WarnIfReportsGoStale()
    {
        var maxAge = selection.Value.FeedbackMaxAge;
        var settings = tracker.Value;
        if (settings.Enabled || maxAge > settings.VolunteerInterval)
        {
            return false;
        }

        LogReportsGoStale(logger, maxAge, settings.VolunteerInterval);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Selection:FeedbackMaxAge {MaxAge} is not longer than Tracker:VolunteerInterval {Interval}: if the tracker volunteers announce to uses that interval, their load reports are unknown part of every interval and the gateway balances on its own dispatches alone. Leave Selection:FeedbackMaxAge unset (3 × Tracker:VolunteerInterval) or set Tracker:VolunteerInterval to the tracker's")]
    private static partial void LogReportsGoStale(ILogger logger, TimeSpan maxAge, TimeSpan interval);
}
