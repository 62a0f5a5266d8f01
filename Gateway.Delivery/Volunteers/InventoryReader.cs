namespace Gateway.Delivery.Volunteers;

/// <summary>Reads a volunteer's inventory list: one repository path or SHA-256 per line, '#' comments.</summary>
public sealed class InventoryReader(HttpClient http)
{
    /// <summary>Marks a full mirror: it holds everything in the catalog.</summary>
    public const string All = "all";

    public async Task<IReadOnlyList<string>> ReadLinesAsync(string source, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        var text = source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? await http.GetStringAsync(new Uri(source), cancellationToken).ConfigureAwait(false)
            : await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false);
        return [.. text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && line[0] != '#')];
    }
}
