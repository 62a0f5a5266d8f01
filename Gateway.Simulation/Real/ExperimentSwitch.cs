namespace Gateway.Simulation.Real;

/// <summary>
/// The experiment's last configuration layer: switches the running gateway's delivery mode and load-balancing
/// policy between runs, through the same reload path as an edited appsettings file.
/// </summary>
internal sealed class ExperimentSwitch : IConfigurationSource
{
    private readonly Provider _provider = new();

    public void Set(string mode, string policy, bool drainReportedTransfers = true, bool tieBreakOnBytesLeft = true) =>
        _provider.Switch(mode, policy, drainReportedTransfers, tieBreakOnBytesLeft);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider;

    private sealed class Provider : ConfigurationProvider
    {
        public void Switch(string mode, string policy, bool drainReportedTransfers, bool tieBreakOnBytesLeft)
        {
            Data["Gateway:Mode"] = mode;
            Data["Selection:Policy"] = policy;
            Data["Selection:DrainReportedTransfers"] = drainReportedTransfers ? "true" : "false";
            Data["Selection:TieBreakOnBytesLeft"] = tieBreakOnBytesLeft ? "true" : "false";
            OnReload();
        }
    }
}
