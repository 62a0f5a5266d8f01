using System.IO.Compression;

namespace Gateway.Simulation.Output;

/// <summary>
/// <c>ccdf</c>: the response-time CCDF (log–log, Fig. 17 with its tails visible) of a real run from its committed
/// per-request records (<c>real</c>'s NAME-requests-CELL.csv[.gz]: policy, …, seconds, status), one line per policy.
/// Records written before the byte-counter policy was renamed call it <c>oracle</c>; the plot uses its name.
/// </summary>
internal static class CcdfCommand
{
    public const string Usage = "usage: ccdf --records FILE.csv[.gz] --out FILE.png [--title TEXT]";

    public static int Run(string[] args, TextWriter output)
    {
        string? records = null, png = null, title = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--records": records = args[i + 1]; break;
                case "--out": png = args[i + 1]; break;
                case "--title": title = args[i + 1]; break;
                default: records = null; i = args.Length; break;
            }
        }

        if (records is null || png is null || args.Length % 2 != 0)
        {
            output.WriteLine(Usage);
            return 2;
        }

        var series = Read(records);
        SeedPlots.ResponseTimeCcdf(series, title ?? Path.GetFileName(records), png);
        foreach (var (label, seconds) in series)
        {
            output.WriteLine($"{label}: {seconds.Length} requests");
        }

        return 0;
    }

    /// <summary>Per policy, in order of first appearance, the response times of its requests that completed (status 200).</summary>
    public static IReadOnlyList<(string Label, double[] Seconds)> Read(string path)
    {
        using var file = File.OpenRead(path);
        using var text = new StreamReader(path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file);
        var header = (text.ReadLine() ?? throw new InvalidDataException($"{path} is empty")).Split(',');
        int Column(string name) => Array.IndexOf(header, name) is >= 0 and var c ? c : throw new InvalidDataException($"{path} has no '{name}' column");
        var (policy, seconds, status) = (Column("policy"), Column("seconds"), Column("status"));
        var byPolicy = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var order = new List<string>();
        while (text.ReadLine() is { } line)
        {
            var cells = line.Split(',');
            if (cells[status] != "200")
            {
                continue;
            }

            var label = cells[policy] == "oracle" ? "byte-counter" : cells[policy];
            if (!byPolicy.TryGetValue(label, out var list))
            {
                byPolicy[label] = list = [];
                order.Add(label);
            }

            list.Add(double.Parse(cells[seconds], System.Globalization.CultureInfo.InvariantCulture));
        }

        return [.. order.Select(l => (l, byPolicy[l].ToArray()))];
    }
}
