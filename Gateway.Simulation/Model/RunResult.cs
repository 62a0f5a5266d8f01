using Gateway.Simulation.Policies;

namespace Gateway.Simulation.Model;

/// <summary>What one volunteer did during the arrival window.</summary>
internal sealed record VolunteerUse(string Id, bool Syncing, double CapacityBytesPerSecond, double CustomerBytes, double SyncBytes, double OnlineSeconds, int Served)
{
    /// <summary>Share of its link in use while online.</summary>
    public double Utilization => OnlineSeconds <= 0 ? 0 : (CustomerBytes + SyncBytes) / (CapacityBytesPerSecond * OnlineSeconds);

    /// <summary>Network use per online second (customer and sync bytes), the paper's Fig. 18 quantity.</summary>
    public double BytesPerSecond => OnlineSeconds <= 0 ? 0 : (CustomerBytes + SyncBytes) / OnlineSeconds;
}

/// <summary>One policy's run of one scenario.</summary>
/// <param name="Scenario">What was run.</param>
/// <param name="Policy">Which policy picked.</param>
/// <param name="ResponseSeconds">Per request, submission to last byte.</param>
/// <param name="ServedBy">Per request, the volunteer index that completed it (the volunteer count for the origin).</param>
/// <param name="Volunteers">Per volunteer, its use during the arrival window.</param>
/// <param name="VolunteerBytes">Customer bytes volunteers sent over the whole run.</param>
/// <param name="OriginBytes">Customer bytes the origin sent.</param>
/// <param name="Retries">Transfers broken by a leaving volunteer and dispatched again.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
internal sealed record RunResult(
    Scenario Scenario,
    PolicyKind Policy,
    double[] ResponseSeconds,
    int[] ServedBy,
    IReadOnlyList<VolunteerUse> Volunteers,
    double VolunteerBytes,
    double OriginBytes,
    int Retries,
    TimeSpan Elapsed)
{
    /// <summary>Share of customer bytes the volunteers served rather than the origin.</summary>
    public double Offload => VolunteerBytes + OriginBytes <= 0 ? 0 : VolunteerBytes / (VolunteerBytes + OriginBytes);

    public double Mean => ResponseSeconds.Average();

    /// <summary>Nearest-rank percentile.</summary>
    public double Percentile(double p)
    {
        var sorted = Sorted();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public double Max => ResponseSeconds.Max();

    /// <summary>Largest deviation of a volunteer's network use from the mean network use, as a share of the mean.</summary>
    public double NetworkUseSpread
    {
        get
        {
            var uses = Volunteers.Where(v => v.OnlineSeconds > 0).Select(v => v.BytesPerSecond).ToArray();
            var mean = uses.Average();
            return mean <= 0 ? 0 : uses.Max(u => Math.Abs(u - mean)) / mean;
        }
    }

    private double[]? _sorted;

    public double[] Sorted() => _sorted ??= [.. ResponseSeconds.Order()];
}
