using System.Collections.Concurrent;
using Gateway.State.Views;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>A volunteer's last heartbeat: free slots, busy slots, and when it arrived.</summary>
public readonly record struct Heartbeat(int Ready, int Busy, DateTimeOffset ReceivedAt);

/// <summary>
/// The last heartbeat of each volunteer (Apache's mod_heartmonitor table), keyed by volunteer id; with
/// <see cref="BalancerOptions.FeedbackSlots"/> set, a volunteer without a fresh heartbeat is judged from
/// its tracker load feedback instead.
/// </summary>
public sealed class HeartbeatBoard(TimeProvider time, HoldingsView swarm, IOptionsMonitor<BalancerOptions> balancer, IOptionsMonitor<SelectionOptions> selection)
{
    private readonly ConcurrentDictionary<string, Heartbeat> _byVolunteer = new(StringComparer.Ordinal);

    public void Record(string volunteerId, int ready, int busy) =>
        _byVolunteer[volunteerId] = new Heartbeat(Math.Max(0, ready), Math.Max(0, busy), time.GetUtcNow());

    public bool TryGet(string volunteerId, out Heartbeat heartbeat) => _byVolunteer.TryGetValue(volunteerId, out heartbeat);

    /// <summary>
    /// The member's current heartbeat: a posted one younger than <see cref="BalancerOptions.HeartbeatMaxAge"/>,
    /// else (when enabled) one made from fresh tracker feedback: busy = its active transfers,
    /// ready = FeedbackSlots × load factor − busy.
    /// </summary>
    public bool TryGetCurrent(BalancerMember member, DateTimeOffset now, out Heartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(member);
        var settings = balancer.CurrentValue;
        if (_byVolunteer.TryGetValue(member.Id, out heartbeat) && now - heartbeat.ReceivedAt < settings.HeartbeatMaxAge)
        {
            return true;
        }

        if (settings.FeedbackSlots > 0 && swarm.TryGetLoad(member.Id, out var report) && now - report.ReportedAt <= selection.CurrentValue.FeedbackMaxAge)
        {
            var busy = Math.Max(0, report.ActiveTransfers);
            var slots = (int)Math.Min(int.MaxValue, (long)settings.FeedbackSlots * member.LbFactor / 100);
            heartbeat = new Heartbeat(Math.Max(0, slots - busy), busy, report.ReportedAt);
            return true;
        }

        heartbeat = default;
        return false;
    }

    /// <summary>
    /// Parses Apache's heartbeat body (<c>v=1&amp;ready=N&amp;busy=N</c>, as mod_heartbeat sends it).
    /// Returns false with a reason a volunteer's operator can act on.
    /// </summary>
    public static bool TryReadBody(string body, out int ready, out int busy, out string? error)
    {
        ready = busy = 0;
        error = null;
        var version = false;
        var sawReady = false;
        foreach (var pair in (body ?? string.Empty).Trim().Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "1" : pair[(eq + 1)..];
            switch (key)
            {
                case "v":
                    version = value == "1";
                    break;
                case "ready":
                    sawReady = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ready);
                    break;
                case "busy":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out busy))
                    {
                        error = $"busy '{value}' is not a whole number";
                        return false;
                    }

                    break;
            }
        }

        if (!version)
        {
            error = "expected Apache's heartbeat format version 1 (v=1&ready=N&busy=N)";
            return false;
        }

        if (!sawReady)
        {
            error = "ready must be a whole number (v=1&ready=N&busy=N)";
            return false;
        }

        return true;
    }
}
