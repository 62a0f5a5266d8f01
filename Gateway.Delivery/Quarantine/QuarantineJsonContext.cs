using System.Text.Json.Serialization;

namespace Gateway.Delivery.Quarantine;

/// <summary>The quarantine records' JSON (the state file, Redis, the admin endpoint).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(QuarantineRecord[]))]
[JsonSerializable(typeof(QuarantineRecord))]
internal sealed partial class VerificationJsonContext : JsonSerializerContext;
