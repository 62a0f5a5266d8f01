namespace Gateway.State;

/// <summary>A holdings store that expires volunteers nobody writes about (<see cref="StoreOptions.VolunteerTtl"/>).</summary>
public interface IHoldingsExpiry
{
    /// <summary>Removes every volunteer whose record expired and publishes each removal; returns how many.</summary>
    ValueTask<int> SweepExpiredAsync(CancellationToken cancellationToken);
}
