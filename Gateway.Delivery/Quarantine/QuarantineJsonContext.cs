using System.Text.Json.Serialization;
using Gateway.Delivery.Verification;

namespace Gateway.Delivery.Quarantine;

/// <summary>The quarantine records' JSON (the state file, Redis, the admin endpoint).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(QuarantineRecord[]))]
[JsonSerializable(typeof(QuarantineRecord))]
internal sealed partial class VerificationJsonContext : JsonSerializerContext;
