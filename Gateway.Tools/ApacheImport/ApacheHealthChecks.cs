using System.Globalization;
using System.Text.Json.Nodes;

namespace Gateway.Tools.ApacheImport;

/// <summary>
/// mod_proxy_hcheck's member parameters (<c>hcmethod</c>, <c>hcinterval</c>, <c>hcpasses</c>, <c>hcfails</c>,
/// <c>hcuri</c>) as the gateway's <c>Health</c> section. Without an <c>hcmethod</c> httpd probes nothing, and the
/// gateway's probes are off too: Apache's own error and retry state alone decides, and the gateway's passive
/// health (which Apache has not) is always off.
/// </summary>
internal sealed class ApacheHealthChecks
{
    private static readonly string[] Methods = ["GET", "HEAD", "OPTIONS", "CPING", "TCP", "PROVIDER"];

    private readonly List<(Dictionary<string, string> Parameters, ConfigLocation At)> _members = [];

    /// <summary>True for the parameters this class reads.</summary>
    public static bool Reads(string key) => key is "hcmethod" or "hcinterval" or "hcpasses" or "hcfails" or "hcuri";

    /// <summary>One member's hc parameters (key lower-cased), from its BalancerMember line at <paramref name="at"/>.</summary>
    public void AddMember(Dictionary<string, string> parameters, ConfigLocation at)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.TryGetValue("hcmethod", out var method) && !Methods.Contains(method.ToUpperInvariant()) && !string.Equals(method, "none", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApacheImportException($"{at}: hcmethod={method} is not one of {string.Join(", ", Methods)}.");
        }

        _members.Add((parameters, at));
    }

    /// <summary>Writes the Health section with <paramref name="set"/> and reports what does not carry over in <paramref name="notes"/>.</summary>
    public void Apply(Action<string, JsonNode?> set, List<ImportNote> notes)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(notes);
        set("Health:PassiveEnabled", false);
        var probed = _members.Where(m => m.Parameters.TryGetValue("hcmethod", out var method) && !string.Equals(method, "none", StringComparison.OrdinalIgnoreCase)).ToList();
        if (probed.Count == 0)
        {
            set("Health:ActiveEnabled", false);
            return;
        }

        var (first, at) = probed[0];
        var interval = Seconds(first.GetValueOrDefault("hcinterval", "30"), at, "hcinterval");
        var fails = Count(first.GetValueOrDefault("hcfails", "1"), at, "hcfails");
        set("Health:ActiveEnabled", true);
        set("Health:Interval", interval.ToString("c", CultureInfo.InvariantCulture));
        set("Health:Timeout", (interval < TimeSpan.FromSeconds(5) ? interval : TimeSpan.FromSeconds(5)).ToString("c", CultureInfo.InvariantCulture));
        set("Health:ConsecutiveFailures", fails);
        set("Health:Path", first.TryGetValue("hcuri", out var uri) ? (uri.StartsWith('/') ? uri : "/" + uri) : "/");

        var method = first["hcmethod"].ToUpperInvariant();
        if (method != "GET")
        {
            notes.Add(new ImportNote(at, $"hcmethod={first["hcmethod"]}", "the gateway probes with GET (any 2xx is healthy)"));
        }

        if (Count(first.GetValueOrDefault("hcpasses", "1"), at, "hcpasses") > 1)
        {
            notes.Add(new ImportNote(at, $"hcpasses={first["hcpasses"]}", "a volunteer marked down comes back after one good probe"));
        }

        foreach (var (parameters, other) in _members.Skip(1))
        {
            if (!Same(parameters, first))
            {
                notes.Add(new ImportNote(other, "hc* parameters", $"the gateway probes every volunteer alike, with the settings of the member at {at}"));
            }
        }
    }

    private static bool Same(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && string.Equals(v, p.Value, StringComparison.OrdinalIgnoreCase));

    private static TimeSpan Seconds(string value, ConfigLocation at, string key)
    {
        var ms = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase);
        return int.TryParse(ms ? value[..^2] : value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? (ms ? TimeSpan.FromMilliseconds(Math.Max(100, n)) : TimeSpan.FromSeconds(Math.Min(n, 86_400)))
            : throw new ApacheImportException($"{at}: {key}={value} must be a positive number of seconds (or NNms).");
    }

    private static int Count(string value, ConfigLocation at, string key) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 100
            ? n
            : throw new ApacheImportException($"{at}: {key}={value} must be a whole number between 1 and 100.");
}
