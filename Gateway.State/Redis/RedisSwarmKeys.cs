using StackExchange.Redis;

namespace Gateway.State.Redis;

/// <summary>
/// The Redis key layout of the swarm state (docs/redis.md). Every key carries the hash tag
/// <c>{prefix}</c>, so they all live in one Redis Cluster slot: the Lua scripts that change a volunteer
/// touch its keys and the registry together, which Cluster only allows within one slot.
/// </summary>
public sealed class RedisSwarmKeys(string prefix)
{
    private readonly string _tag = "{" + prefix + "}";

    /// <summary>Sorted set: member = volunteer id, score = when its record expires (Redis server time, Unix ms).</summary>
    public RedisKey Registry => _tag + ":volunteers";

    /// <summary>
    /// Sharded pub/sub channel (SPUBLISH, Redis 7) on which every change is published. Sharded, so that in a
    /// cluster it lives on the node that owns the state's slot: a message reaches subscribers from that node
    /// directly, in order with the writes, never late over the cluster bus.
    /// </summary>
    public RedisChannel Changes => RedisChannel.Sharded(_tag + ":changes");

    /// <summary>
    /// Hash: field = volunteer id, value = when its holdings were last written (Redis server time, Unix ms): a reader
    /// never lets a store that came back with older state (a lagging replica) replace newer holdings in its view.
    /// </summary>
    public RedisKey HoldingsVersions => _tag + ":holdings-at";

    /// <summary>String: a random id set by whoever finds it missing; a new one means Redis lost the swarm state (no expiry).</summary>
    public RedisKey Epoch => _tag + ":epoch";

    /// <summary>Hash: field = volunteer id, value = its hand-set weight and status (no expiry).</summary>
    public RedisKey Overrides => _tag + ":overrides";

    /// <summary>String: the balancer's hand-set lbmethod (no expiry; absent when configuration decides).</summary>
    public RedisKey LbMethod => _tag + ":lbmethod";

    /// <summary>Set of the content ids the volunteer holds completely (expires with the volunteer).</summary>
    public RedisKey Holdings(string volunteerId) => _tag + ":holds:" + volunteerId;

    /// <summary>String: the volunteer's last load report (expires with the volunteer).</summary>
    public RedisKey Load(string volunteerId) => _tag + ":load:" + volunteerId;
}
