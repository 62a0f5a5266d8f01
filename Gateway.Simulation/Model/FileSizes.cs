namespace Gateway.Simulation.Model;

/// <summary>
/// Request sizes shaped like the paper's trace (Section 2): 81% of requests under 256 KB, 14% between
/// 256 KB and 4 MB, 5% between 4 MB and 64 MB, each log-uniform, so that files over 4 MB carry about 80%
/// of the bytes. The simulate command prints the shares it actually drew.
/// </summary>
internal static class FileSizes
{
    private const double Kb = 1024;
    private const double Mb = 1024 * 1024;

    private static readonly (double Share, double Low, double High)[] Bands =
    [
        (0.81, 4 * Kb, 256 * Kb),
        (0.14, 256 * Kb, 4 * Mb),
        (0.05, 4 * Mb, 64 * Mb),
    ];

    /// <summary>The mean of the mixture: a log-uniform band on [a, b] has mean (b − a) / ln(b / a).</summary>
    public static double TraceMeanBytes { get; } = Bands.Sum(b => b.Share * (b.High - b.Low) / Math.Log(b.High / b.Low));

    /// <summary>The size at quantile <paramref name="q"/> of the mixture with every band scaled by <paramref name="scale"/>.</summary>
    public static long SizeAt(double q, double scale)
    {
        foreach (var (share, low, high) in Bands)
        {
            if (q < share)
            {
                return (long)Math.Round(scale * low * Math.Pow(high / low, q / share));
            }

            q -= share;
        }

        return (long)(scale * Bands[^1].High);
    }

    public static double DrawTrace(Random random)
    {
        var u = random.NextDouble();
        foreach (var (share, low, high) in Bands)
        {
            if (u < share)
            {
                return Math.Round(low * Math.Pow(high / low, random.NextDouble()));
            }

            u -= share;
        }

        var last = Bands[^1];
        return last.High;
    }
}
