using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.State.Resilience;
using Microsoft.Extensions.Options;

namespace Gateway.State.Redis;

/// <summary>
/// Hand-set overrides in one Redis hash (<c>{prefix}:overrides</c>, field = volunteer id, value = JSON) and the
/// lbmethod in a string (<c>{prefix}:lbmethod</c>), with no expiry: they survive gateway restarts and are the
/// same for every gateway. Unlike swarm writes they are not
/// buffered: an operator must see at once that a change did not take.
/// </summary>
public sealed class RedisVolunteerOverrides(RedisConnection connection, StoreResilience resilience, IOptions<StoreOptions> options) : IVolunteerOverrides
{
    private readonly RedisSwarmKeys _keys = new(options.Value.KeyPrefix);

    public async ValueTask SetAsync(string volunteerId, VolunteerOverride value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        ArgumentNullException.ThrowIfNull(value);
        var json = JsonSerializer.Serialize(value, VolunteerOverrideJson.Default.VolunteerOverride);
        await resilience.Pipeline.ExecuteAsync(
            async ct => await connection.Multiplexer.GetDatabase().HashSetAsync(_keys.Overrides, volunteerId, json).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ClearAsync(string volunteerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(volunteerId);
        await resilience.Pipeline.ExecuteAsync(
            async ct => await connection.Multiplexer.GetDatabase().HashDeleteAsync(_keys.Overrides, volunteerId).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyDictionary<string, VolunteerOverride>> GetAllAsync(CancellationToken cancellationToken)
    {
        var entries = await resilience.Pipeline.ExecuteAsync(
            async ct => await connection.Multiplexer.GetDatabase().HashGetAllAsync(_keys.Overrides).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, VolunteerOverride>(entries.Length, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (JsonSerializer.Deserialize(entry.Value.ToString(), VolunteerOverrideJson.Default.VolunteerOverride) is { } value)
            {
                result[entry.Name.ToString()] = value;
            }
        }

        return result;
    }

    public async ValueTask SetLbMethodAsync(string? lbMethod, CancellationToken cancellationToken) =>
        await resilience.Pipeline.ExecuteAsync(
            async ct => await (lbMethod is null
                ? connection.Multiplexer.GetDatabase().KeyDeleteAsync(_keys.LbMethod)
                : connection.Multiplexer.GetDatabase().StringSetAsync(_keys.LbMethod, lbMethod)).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);

    public async ValueTask<string?> GetLbMethodAsync(CancellationToken cancellationToken) =>
        await resilience.Pipeline.ExecuteAsync(
            async ct => (string?)await connection.Multiplexer.GetDatabase().StringGetAsync(_keys.LbMethod).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
}

[JsonSerializable(typeof(VolunteerOverride))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class VolunteerOverrideJson : JsonSerializerContext;
