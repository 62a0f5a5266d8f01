using System.Globalization;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>Turns appsettings JSON (what import-apache writes) into <c>--Section:Key=value</c> command-line settings.</summary>
public static class SettingsArguments
{
    public static IEnumerable<string> FromJson(JsonNode node) => Flatten(node, prefix: null);

    private static IEnumerable<string> Flatten(JsonNode node, string? prefix) => node switch
    {
        JsonObject o => o.SelectMany(p => Flatten(p.Value!, prefix is null ? p.Key : $"{prefix}:{p.Key}")),
        JsonArray a => a.SelectMany((v, i) => Flatten(v!, $"{prefix}:{i.ToString(CultureInfo.InvariantCulture)}")),
        _ => [$"--{prefix}={Scalar(node)}"],
    };

    private static string Scalar(JsonNode node) => node.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.True => "true",
        System.Text.Json.JsonValueKind.False => "false",
        _ => node.ToString(),
    };
}
