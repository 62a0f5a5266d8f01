namespace Gateway.Delivery.Selection.Apache;

/// <summary>
/// An lbmethod's "is this member better than the best so far" test, called by <see cref="ApachePickRules"/>
/// once for each usable candidate in scan order (it may update the member, as byrequests does).
/// A struct, so a pick allocates nothing.
/// </summary>
public interface IMemberScorer
{
    bool IsBetter(BalancerMember current, BalancerMember? best);

    /// <summary>Called once with the chosen member, under the same lock.</summary>
    void Chosen(BalancerMember chosen);
}
