namespace Gateway.Demo;

/// <summary>
/// Holds the gateway's active health probes until the volunteers listen: the demo's agents need the gateway's
/// tracker up before they start, and a gateway probing them first would log every refused probe. The last
/// configuration layer says <c>Health:ActiveEnabled=false</c> until <see cref="Release"/>, which reloads it like any edit.
/// On the way out they are held again, while the agents stop before the gateway (they announce <c>stopped</c> to it).
/// </summary>
public sealed class HeldProbes : ConfigurationProvider, IConfigurationSource
{
    private const string Key = "Health:ActiveEnabled";

    public HeldProbes() => Data[Key] = "false";

    /// <summary>Stops the probes (the volunteers are about to stop).</summary>
    public void Hold()
    {
        Data[Key] = "false";
        OnReload();
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <summary>Lets the gateway's own setting apply again (the volunteers now listen).</summary>
    public void Release()
    {
        Data.Remove(Key);
        OnReload();
    }
}
