using Gateway.Simulation.Harness;

namespace Gateway.Tests.Simulation;

/// <summary>What every lab test checks after the lab is disposed: nothing of it is left on the machine.</summary>
internal static class LabChecks
{
    /// <summary>No namespace and no host link (veth end, bridge) with the lab's prefix remains.</summary>
    public static async Task NetworkRemovedAsync(NetworkLab? lab)
    {
        Assert.NotNull(lab);
        Assert.Empty(await NetworkLab.NamespacesAsync(lab.Prefix, CancellationToken.None));
        Assert.Empty(await NetworkLab.HostLinksAsync(lab.Prefix, CancellationToken.None));
    }

    /// <summary>The process runs: it exists and is not a zombie waiting for whoever adopted it to reap it.</summary>
    public static bool Runs(int pid)
    {
        try
        {
            return !File.ReadAllLines($"/proc/{pid}/status").Any(line => line.StartsWith("State:", StringComparison.Ordinal) && line.Contains('Z', StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
