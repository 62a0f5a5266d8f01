using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Core.Reports;

/// <summary>
/// A verifying client proxy's report that a volunteer served altered bytes or stalled a transfer, posted to
/// <c>/_gateway/report</c> with <c>X-Report-Signature: sha256=&lt;hex HMAC-SHA256 of the body under Verify:ReportKey&gt;</c>.
/// </summary>
/// <param name="Url">The exact URL the bytes came from (the volunteer's base URL and the file's path).</param>
/// <param name="Path">The file's repository path.</param>
/// <param name="Observed">
/// For <see cref="VolunteerReportKinds.Altered"/>, the SHA-256 (hex) of what was received; for
/// <see cref="VolunteerReportKinds.Stalled"/>, what happened (e.g. "silent for 15 s at byte 65536"). For the operator.
/// </param>
/// <param name="Time">When it was received (Unix seconds): reports older than <c>Verify:ReportMaxAge</c> are refused.</param>
/// <param name="Kind">What went wrong (<see cref="VolunteerReportKinds"/>); absent means altered, as before stalls were reported.</param>
public sealed record VolunteerReport(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("observed")] string? Observed,
    [property: JsonPropertyName("time")] long Time,
    [property: JsonPropertyName("kind")] string? Kind = null);

/// <summary>The kinds of <see cref="VolunteerReport"/>.</summary>
public static class VolunteerReportKinds
{
    /// <summary>Bytes that do not match the published file: proof of a dishonest or broken volunteer (quarantine).</summary>
    public const string Altered = "altered";

    /// <summary>A transfer that went silent: no proof of anything, but a customer waited (the volunteer is benched for a while).</summary>
    public const string Stalled = "stalled";
}

/// <summary>Signs and checks report bodies: only holders of the shared key can get a volunteer quarantined.</summary>
public static class ReportSignature
{
    public const string Header = "X-Report-Signature";
    private const string Prefix = "sha256=";

    public static string Sign(string key, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), body));

    public static bool IsValid(string key, ReadOnlySpan<byte> body, string? signature)
    {
        if (string.IsNullOrEmpty(key) || signature is null || !signature.StartsWith(Prefix, StringComparison.Ordinal) || signature.Length != Prefix.Length + 64)
        {
            return false;
        }

        Span<byte> claimed = stackalloc byte[32];
        if (Convert.FromHexString(signature.AsSpan(Prefix.Length), claimed, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[32];
        HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), body, actual);
        return CryptographicOperations.FixedTimeEquals(actual, claimed);
    }
}

/// <summary>The report's wire format: where it is posted and its JSON (source-generated, no reflection).</summary>
public static class VolunteerReportWire
{
    /// <summary>Where a gateway takes reports.</summary>
    public const string Path = "/_gateway/report";

    public static byte[] Serialize(VolunteerReport report) => JsonSerializer.SerializeToUtf8Bytes(report, ReportJsonContext.Default.VolunteerReport);

    /// <summary>The report in <paramref name="body"/>; throws <see cref="JsonException"/> when it is not one.</summary>
    public static VolunteerReport? Deserialize(ReadOnlySpan<byte> body) => JsonSerializer.Deserialize(body, ReportJsonContext.Default.VolunteerReport);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(VolunteerReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
