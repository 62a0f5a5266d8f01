namespace Gateway.Simulation.Model;

/// <summary>
/// The repository as partial mirrors hold it (<see cref="HoldingModel.Partial"/>): <see cref="Scenario.CatalogFiles"/>
/// files with Zipf popularity by rank and a fixed size each (drawn from the size model), and per file the volunteers
/// that hold it. A share of volunteers are full mirrors; every other one holds a log-uniform share of the files,
/// sampled by popularity without replacement, as a cache filled by its own users would: popular files have many
/// holders, the tail few or none, and what no online volunteer holds goes to the origin.
/// </summary>
internal sealed class PartialMirrors
{
    private readonly double[] _popularity;

    private PartialMirrors(double[] sizes, double[] popularity, int[][] holders, double[] holdingShare)
    {
        Sizes = sizes;
        _popularity = popularity;
        Holders = holders;
        HoldingShare = holdingShare;
        var mean = 0.0;
        var previous = 0.0;
        for (var f = 0; f < sizes.Length; f++)
        {
            mean += (popularity[f] - previous) * sizes[f];
            previous = popularity[f];
        }

        MeanRequestBytes = mean;
    }

    /// <summary>Per file (by popularity rank), its size in bytes.</summary>
    public IReadOnlyList<double> Sizes { get; }

    /// <summary>Per file, the indices of the volunteers that hold it, ascending.</summary>
    public IReadOnlyList<int[]> Holders { get; }

    /// <summary>Per volunteer, the share of the files it holds (1 for a full mirror).</summary>
    public IReadOnlyList<double> HoldingShare { get; }

    /// <summary>The popularity-weighted mean size: what one request moves on average, for the arrival rate.</summary>
    public double MeanRequestBytes { get; }

    public static PartialMirrors For(Scenario scenario)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scenario.CatalogFiles, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(scenario.FullMirrorShare);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scenario.FullMirrorShare, 1);
        if (scenario.PartialShareLow <= 0 || scenario.PartialShareLow > scenario.PartialShareHigh || scenario.PartialShareHigh > 1)
        {
            throw new ArgumentException($"partial mirror shares must satisfy 0 < low <= high <= 1 (got {scenario.PartialShareLow}..{scenario.PartialShareHigh})");
        }

        var random = new Random(scenario.Seed + 5);
        var files = scenario.CatalogFiles;
        var sizes = new double[files];
        for (var f = 0; f < files; f++)
        {
            sizes[f] = scenario.Sizes == SizeModel.Equal ? scenario.EqualSizeBytes : FileSizes.DrawTrace(random);
        }

        var popularity = new double[files];
        var total = 0.0;
        for (var f = 0; f < files; f++)
        {
            total += Math.Pow(f + 1, -scenario.PopularityExponent);
            popularity[f] = total;
        }

        for (var f = 0; f < files; f++)
        {
            popularity[f] /= total;
        }

        var fullMirrors = (int)Math.Round(scenario.FullMirrorShare * scenario.Volunteers);
        var holders = Enumerable.Range(0, files).Select(_ => new List<int>()).ToArray();
        var share = new double[scenario.Volunteers];
        var held = new bool[files];
        var picked = new List<int>();
        for (var v = 0; v < scenario.Volunteers; v++)
        {
            // Full mirrors are spread over configuration order, like the syncing volunteers.
            var full = Math.Floor((v + 1) * (double)fullMirrors / scenario.Volunteers) > Math.Floor(v * (double)fullMirrors / scenario.Volunteers);
            if (full)
            {
                share[v] = 1;
                foreach (var list in holders)
                {
                    list.Add(v);
                }

                continue;
            }

            var low = scenario.PartialShareLow;
            var want = Math.Max(1, (int)Math.Round(files * low * Math.Pow(scenario.PartialShareHigh / low, random.NextDouble())));
            // Popular files fill a cache first; bounded draws keep a volunteer that wants most of a heavy-tailed
            // catalog from drawing forever (it then holds a little less than it wanted).
            for (var draws = 0; picked.Count < want && draws < 50 * want; draws++)
            {
                var f = Draw(popularity, random);
                if (!held[f])
                {
                    held[f] = true;
                    picked.Add(f);
                }
            }

            share[v] = picked.Count / (double)files;
            foreach (var f in picked)
            {
                holders[f].Add(v);
                held[f] = false;
            }

            picked.Clear();
        }

        return new PartialMirrors(sizes, popularity, [.. holders.Select(h => h.ToArray())], share);
    }

    /// <summary>A file by popularity.</summary>
    public int Draw(Random random) => Draw(_popularity, random);

    private static int Draw(double[] cumulative, Random random)
    {
        var index = Array.BinarySearch(cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, cumulative.Length - 1);
    }
}
