namespace Gateway.Delivery.BalancerManager;

/// <summary>
/// The lbmethod chosen on balancer-manager, as the last configuration layer over <c>Selection:Policy</c>:
/// setting it reloads the options, so YARP rebuilds the cluster with the new policy at once, through
/// the same path as an edit of appsettings.
/// </summary>
public sealed class LbMethodOverride : IConfigurationSource
{
    private readonly Provider _provider = new();

    /// <summary>The overriding policy name, or null when configuration decides.</summary>
    public string? Policy => _provider.TryGet(Key, out var value) ? value : null;

    private static string Key => $"{Gateway.Delivery.SelectionOptions.Section}:{nameof(Gateway.Delivery.SelectionOptions.Policy)}";

    public void Set(string? policy) => _provider.Set(policy);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider;

    private sealed class Provider : ConfigurationProvider
    {
        public void Set(string? policy)
        {
            if (policy is null)
            {
                Data.Remove(Key);
            }
            else
            {
                Data[Key] = policy;
            }

            OnReload();
        }
    }
}
