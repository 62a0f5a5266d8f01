using System.Globalization;

namespace Gateway.Simulation.Output;

/// <summary>
/// One quantity over independent seeds: the median and the range. For n seeds the range covers the true median with
/// probability 1 − 2·0.5ⁿ (94% for 5 seeds), so it is read as that confidence interval, no bootstrap needed.
/// </summary>
internal readonly record struct SeedInterval(double Median, double Low, double High, int Seeds)
{
    public static SeedInterval Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("an interval needs at least one value", nameof(values));
        }

        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new SeedInterval(median, sorted[0], sorted[^1], sorted.Length);
    }

    /// <summary>The confidence with which the range covers the median: 1 − 2·0.5ⁿ.</summary>
    public double Confidence => ConfidenceFor(Seeds);

    public static double ConfidenceFor(int seeds) => 1 - (2 * Math.Pow(0.5, seeds));

    /// <summary>"met" when the whole interval is on the goal's side, "missed" when it is wholly on the other, else "undecided".</summary>
    public string Verdict(double goal, bool atMost) =>
        atMost
            ? High <= goal ? "met" : Low > goal ? "missed" : "undecided"
            : Low >= goal ? "met" : High < goal ? "missed" : "undecided";

    public string Format(string format) => string.Create(CultureInfo.InvariantCulture,
        $"{Median.ToString(format, CultureInfo.InvariantCulture)} [{Low.ToString(format, CultureInfo.InvariantCulture)}–{High.ToString(format, CultureInfo.InvariantCulture)}]");
}
