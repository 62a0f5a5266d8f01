namespace Gateway.Feedback.Store;

/// <summary>A swarm store that expires volunteers nobody writes about (<see cref="StoreOptions.VolunteerTtl"/>).</summary>
public interface ISwarmExpiry
{
    /// <summary>Removes every volunteer whose record expired and publishes each removal; returns how many.</summary>
    ValueTask<int> SweepExpiredAsync(CancellationToken cancellationToken);
}
