using Gateway.Delivery.Volunteers;

namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// The pick rules every Apache lbmethod but heartbeat shares (httpd's ap_proxy_balancer_get_best_worker):
/// lbsets from the lowest up, stopping at the first that yields a member; within a set, draining members
/// are skipped (and count as unusable unless spare or standby), members in error whose retry interval has
/// passed are tried again, usable ordinary members compete, hot spares replace unusable members one for
/// one, and hot standbys compete only when nothing else in the set was chosen.
/// </summary>
public static class ApachePickRules
{
    /// <summary>
    /// Finds the best member among those stamped with <paramref name="stamp"/> (this request's candidates).
    /// A configured member that is not a candidate (it does not hold the file, or health checks took it
    /// out) is unusable for this request, as an Apache worker in error would be.
    /// </summary>
    public static BalancerMember? Find<TScorer>(
        IReadOnlyList<BalancerMember> members, long stamp, DateTimeOffset now, List<BalancerMember> spares, List<BalancerMember> standbys, ref TScorer scorer)
        where TScorer : struct, IMemberScorer
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(spares);
        ArgumentNullException.ThrowIfNull(standbys);
        BalancerMember? best = null;
        var maxSet = 0;
        for (var set = 0; best is null && set <= maxSet; set++)
        {
            var unusable = 0;
            spares.Clear();
            standbys.Clear();
            for (var i = 0; i < members.Count; i++)
            {
                var member = members[i];
                maxSet = Math.Max(maxSet, member.LbSet);
                if (member.LbSet != set)
                {
                    continue;
                }

                var status = member.AdminStatus;
                var spare = (status & MemberStatus.HotSpare) != 0;
                var standby = (status & MemberStatus.HotStandby) != 0;
                if ((status & MemberStatus.Drain) != 0)
                {
                    if (!spare && !standby)
                    {
                        unusable++;
                    }

                    continue;
                }

                if (!member.IsUsable)
                {
                    TryRecover(member, now);
                }

                var usable = member.IsUsable && member.Stamp == stamp;
                if (spare)
                {
                    if (usable)
                    {
                        spares.Add(member);
                    }
                }
                else if (standby)
                {
                    if (usable)
                    {
                        standbys.Add(member);
                    }
                }
                else if (usable)
                {
                    if (scorer.IsBetter(member, best))
                    {
                        best = member;
                    }
                }
                else
                {
                    unusable++;
                }
            }

            // Each unusable member may be replaced by one spare, in configuration order.
            for (var i = 0; i < spares.Count && i < unusable; i++)
            {
                if (scorer.IsBetter(spares[i], best))
                {
                    best = spares[i];
                }
            }

            if (best is null)
            {
                foreach (var member in standbys)
                {
                    if (scorer.IsBetter(member, best))
                    {
                        best = member;
                    }
                }
            }
        }

        if (best is not null)
        {
            scorer.Chosen(best);
            best.Elected++;
        }

        return best;
    }

    /// <summary>
    /// Apache's retry: a member in error is usable again once its retry interval has passed (at once with
    /// ignore-errors); a stopped member never comes back by itself.
    /// </summary>
    public static void TryRecover(BalancerMember member, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (member.ErrorSince is not { } since || (member.AdminStatus & MemberStatus.Stopped) != 0)
        {
            return;
        }

        // Apache compares strictly: a member is retried only once the interval has fully passed.
        if ((member.AdminStatus & MemberStatus.IgnoreErrors) != 0 || now > since + member.Retry)
        {
            member.ErrorSince = null;
        }
    }

    /// <summary>
    /// forcerecovery: when every member is in error (and none is due for retry), all are put back in
    /// service at once rather than failing every request until the first retry interval ends.
    /// </summary>
    public static void ForceRecovery(IReadOnlyList<BalancerMember> members, DateTimeOffset now, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(members);
        foreach (var member in members)
        {
            if (member.ErrorSince is null)
            {
                return;
            }

            TryRecover(member, now);
            if (member.ErrorSince is null)
            {
                return;
            }
        }

        if (enabled)
        {
            foreach (var member in members)
            {
                member.ErrorSince = null;
            }
        }
    }
}
