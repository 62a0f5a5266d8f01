using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>A balancer-manager edit of one member; null fields keep the configured value.</summary>
public sealed record MemberEdit(int? LbFactor = null, int? LbSet = null, string? Route = null, MemberStatus? Status = null, string? RouteRedirect = null);

/// <summary>
/// The Apache view of the volunteers: one <see cref="BalancerMember"/> per configured volunteer, in
/// configuration order, with its running counters kept across configuration reloads and balancer-manager
/// edits layered over the configuration. Picks run under one lock, as Apache holds the balancer's mutex.
/// </summary>
public sealed class BalancerMembers : IDisposable
{
    private readonly IOptionsMonitor<BalancerOptions> _options;
    private readonly TimeProvider _time;
    private readonly IDisposable? _subscription;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MemberEdit> _edits = new(StringComparer.Ordinal);
    private readonly List<BalancerMember> _spares = [];
    private readonly List<BalancerMember> _standbys = [];
    private Dictionary<string, BalancerMember> _byId = new(StringComparer.Ordinal);

    // YARP keeps one DestinationState per destination until its config changes: finding the member by
    // reference skips hashing the id string for every candidate of every pick.
    private readonly Dictionary<DestinationState, BalancerMember?> _byDestination = new(ReferenceEqualityComparer.Instance);
    private BalancerMember[] _ordered = [];
    private VolunteerSetOptions _configured;
    private long _stamp;

    public BalancerMembers(IOptionsMonitor<VolunteerSetOptions> volunteers, IOptionsMonitor<BalancerOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(volunteers);
        _options = options;
        _time = time;
        _configured = volunteers.CurrentValue;
        Rebuild();
        _subscription = volunteers.OnChange(o =>
        {
            lock (_gate)
            {
                _configured = o;
                Rebuild();
            }
        });
    }

    /// <summary>HttpContext.Items key set while a request is pinned to its sticky route (nofailover): no origin fallback.</summary>
    public static readonly object PinnedRouteKey = new();

    /// <summary>True when the request carries a sticky route under nofailover: a failed attempt ends in 503, as in Apache.</summary>
    public static bool IsPinned(HttpContext context) => context?.Items.ContainsKey(PinnedRouteKey) == true;

    /// <summary>Raised after a balancer-manager edit, with all edits in force (for persistence).</summary>
    public event Action<IReadOnlyDictionary<string, MemberEdit>>? Edited;

    /// <summary>The members in configuration order (a snapshot; counters are live).</summary>
    public IReadOnlyList<BalancerMember> All
    {
        get
        {
            lock (_gate)
            {
                return _ordered;
            }
        }
    }

    public BalancerMember? Find(string id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    /// <summary>
    /// Runs Apache's pick rules over this request's candidates with an lbmethod's scorer: forcerecovery
    /// first, then <see cref="ApachePickRules.Find"/>. Returns the chosen destination, or null.
    /// </summary>
    public DestinationState? Pick<TScorer>(IReadOnlyList<DestinationState> available, ref TScorer scorer)
        where TScorer : struct, IMemberScorer
    {
        ArgumentNullException.ThrowIfNull(available);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var stamp = Mark(available);
            ApachePickRules.ForceRecovery(_ordered, now, _options.CurrentValue.ForceRecovery);
            return ApachePickRules.Find(_ordered, stamp, now, _spares, _standbys, ref scorer)?.Destination;
        }
    }

    /// <summary>
    /// Runs <paramref name="pick"/> with this request's usable candidates in configuration order (members in
    /// error whose retry has passed come back first), for lbmethods such as heartbeat that skip the lbset rules.
    /// </summary>
    public DestinationState? PickAmongUsable(IReadOnlyList<DestinationState> available, Func<IReadOnlyList<BalancerMember>, BalancerMember?> pick)
    {
        ArgumentNullException.ThrowIfNull(available);
        ArgumentNullException.ThrowIfNull(pick);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var stamp = Mark(available);
            _spares.Clear();
            foreach (var member in _ordered)
            {
                if (member.Stamp != stamp)
                {
                    continue;
                }

                ApachePickRules.TryRecover(member, now);
                if (member.IsUsable)
                {
                    _spares.Add(member);
                }
            }

            var chosen = pick(_spares);
            if (chosen is not null)
            {
                chosen.Elected++;
            }

            return chosen?.Destination;
        }
    }

    /// <summary>
    /// Apache's sticky sessions (<c>find_session_route</c>), run by every Apache lbmethod before its own pick:
    /// returns true when the request's route decided — <paramref name="chosen"/> is the usable routed member
    /// (or its RouteRedir member), or null when <see cref="BalancerOptions.NoFailover"/> refuses the request
    /// because its routed member cannot serve it. False: no route, or one to balance normally.
    /// A member that does not hold the file counts as unusable for the request, as in the lbmethods.
    /// </summary>
    public bool TryPickSticky(HttpContext context, IReadOnlyList<DestinationState> available, out DestinationState? chosen)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(available);
        chosen = null;
        var settings = _options.CurrentValue;
        if (StickyRouteReader.RouteOf(context.Request, settings) is not { } route)
        {
            return false;
        }

        if (settings.NoFailover)
        {
            // The forwarders read this before they fall back to the origin: Apache answers 503 instead.
            context.Items[PinnedRouteKey] = route;
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var stamp = Mark(available);
            if (FindRouted(route, stamp, now, depth: 0) is { } routed)
            {
                // As Apache without an lbmethod hook: the sticky pick counts in byrequests' credit like any other.
                var total = 0;
                foreach (var member in _ordered)
                {
                    if (member.IsUsable)
                    {
                        member.LbStatus += member.LbFactor;
                        total += member.LbFactor;
                    }
                }

                routed.LbStatus -= total;
                routed.Elected++;
                chosen = routed.Destination;
                return true;
            }

            return settings.NoFailover && Array.Exists(_ordered, m => m.Route.Length > 0 && string.Equals(m.Route, route, StringComparison.Ordinal));
        }
    }

    /// <summary>Puts a member in error (a failed connection, a fail-on status), unless it ignores errors.</summary>
    public void MarkInError(string id)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var member) && (member.AdminStatus & MemberStatus.IgnoreErrors) == 0)
            {
                member.ErrorSince = _time.GetUtcNow();
            }
        }
    }

    /// <summary>Applies a balancer-manager edit at once and keeps it over configuration reloads.</summary>
    public bool Edit(string id, MemberEdit edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        Dictionary<string, MemberEdit> snapshot;
        lock (_gate)
        {
            if (!_byId.ContainsKey(id))
            {
                return false;
            }

            var merged = _edits.GetValueOrDefault(id) is { } old
                ? new MemberEdit(edit.LbFactor ?? old.LbFactor, edit.LbSet ?? old.LbSet, edit.Route ?? old.Route, edit.Status ?? old.Status, edit.RouteRedirect ?? old.RouteRedirect)
                : edit;
            _edits[id] = merged;
            Rebuild();
            snapshot = new Dictionary<string, MemberEdit>(_edits, StringComparer.Ordinal);
        }

        Edited?.Invoke(snapshot);
        return true;
    }

    /// <summary>Restores edits saved by an earlier run (ids no longer configured are kept for when they return).</summary>
    public void RestoreEdits(IReadOnlyDictionary<string, MemberEdit> edits)
    {
        ArgumentNullException.ThrowIfNull(edits);
        lock (_gate)
        {
            foreach (var (id, edit) in edits)
            {
                _edits[id] = edit;
            }

            Rebuild();
        }
    }

    /// <summary>Apache resets lbstatus and traffic counters when the lbmethod changes.</summary>
    public void ResetCounters()
    {
        lock (_gate)
        {
            foreach (var member in _ordered)
            {
                member.ResetCounters();
            }
        }
    }

    public void Dispose() => _subscription?.Dispose();

    // Apache's find_route_worker: members that are not standby first, then standbys; a routed member in error
    // whose retry has passed comes back; one that still cannot serve hands over to its RouteRedir route.
    private BalancerMember? FindRouted(string route, long stamp, DateTimeOffset now, int depth)
    {
        foreach (var standby in (ReadOnlySpan<bool>)[false, true])
        {
            foreach (var member in _ordered)
            {
                if (((member.AdminStatus & MemberStatus.HotStandby) != 0) != standby || member.Route.Length == 0 || !string.Equals(member.Route, route, StringComparison.Ordinal))
                {
                    continue;
                }

                ApachePickRules.TryRecover(member, now);
                if (member.IsUsable && member.Stamp == stamp)
                {
                    return member;
                }

                if (member.RouteRedirect.Length > 0 && depth < _ordered.Length && FindRouted(member.RouteRedirect, stamp, now, depth + 1) is { } redirected)
                {
                    return redirected;
                }
            }
        }

        return null;
    }

    private long Mark(IReadOnlyList<DestinationState> available)
    {
        var stamp = ++_stamp;
        for (var i = 0; i < available.Count; i++)
        {
            var destination = available[i];
            if (!_byDestination.TryGetValue(destination, out var member))
            {
                if (_byDestination.Count > 4 * (_ordered.Length + 16))
                {
                    _byDestination.Clear();
                }

                member = _byId.GetValueOrDefault(destination.DestinationId);
                _byDestination[destination] = member;
            }

            if (member is not null)
            {
                member.Stamp = stamp;
                member.Destination = destination;
            }
        }

        return stamp;
    }

    // Called under _gate (or from the constructor).
    private void Rebuild()
    {
        var byId = new Dictionary<string, BalancerMember>(StringComparer.Ordinal);
        var ordered = new List<BalancerMember>(_configured.Members.Count);
        foreach (var options in _configured.Members)
        {
            if (string.IsNullOrEmpty(options.Id) || byId.ContainsKey(options.Id))
            {
                continue;
            }

            var member = _byId.GetValueOrDefault(options.Id) ?? new BalancerMember(options.Id);
            var edit = _edits.GetValueOrDefault(options.Id);
            MemberStatusFlags.TryApply(options.Status, MemberStatus.None, out var configured, out _);
            if (!options.Enabled)
            {
                configured |= MemberStatus.Disabled;
            }

            var status = edit?.Status ?? configured;
            member.Ordinal = ordered.Count;
            member.LbFactor = edit?.LbFactor ?? ApacheMemberOptionsValidator.LbFactorOf(options);
            member.LbSet = edit?.LbSet ?? options.LbSet;
            member.Route = edit?.Route ?? options.Route ?? string.Empty;
            member.RouteRedirect = edit?.RouteRedirect ?? options.RouteRedirect ?? string.Empty;
            member.Retry = options.Retry;
            member.Timeout = options.Timeout;

            // Error state is runtime, not configuration: "+E" in config starts the member in error.
            if ((status & MemberStatus.InError) != 0 && member.ErrorSince is null)
            {
                member.ErrorSince = _time.GetUtcNow();
            }

            member.AdminStatus = status & ~MemberStatus.InError;
            byId[options.Id] = member;
            ordered.Add(member);
        }

        _byId = byId;
        _ordered = [.. ordered];
        _byDestination.Clear();
    }
}
