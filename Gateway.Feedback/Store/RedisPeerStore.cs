using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Feedback.Store;

/// <summary>
/// The tracker's peer lists in Redis. Each torrent's keys share the hash tag <c>{prefix:t:infohash}</c>: one
/// torrent lives in one Redis Cluster slot (so its scripts are atomic) and torrents spread over the cluster.
/// Unlike swarm writes, announces are not buffered: a tracker answers the announce from what it has, and the
/// peer announces again within its interval.
/// </summary>
public sealed class RedisPeerStore(RedisConnection connection, SwarmStoreResilience resilience, IOptions<StoreOptions> options) : IPeerStore
{
    // KEYS: 1 seeders, 2 leechers, 3 peers (hash id → address|port), 4 downloaded counter.
    private const string Prelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function purge()
          for k = 1, 2 do
            local dead = redis.call('ZRANGEBYSCORE', KEYS[k], '-inf', now, 'LIMIT', 0, 1000)
            if #dead > 0 then
              redis.call('ZREM', KEYS[k], unpack(dead))
              redis.call('HDEL', KEYS[3], unpack(dead))
            end
          end
        end

        """;

    // ARGV: 1 peer id, 2 address|port, 3 complete '1'|'0', 4 TTL ms, 5 completed now '1'|'0'.
    private const string AnnounceScript = Prelude + """
        local into, from = KEYS[2], KEYS[1]
        if ARGV[3] == '1' then into, from = KEYS[1], KEYS[2] end
        redis.call('ZREM', from, ARGV[1])
        redis.call('ZADD', into, now + tonumber(ARGV[4]), ARGV[1])
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
        if ARGV[5] == '1' then redis.call('INCR', KEYS[4]) end
        purge()
        for k = 1, 3 do redis.call('PEXPIRE', KEYS[k], ARGV[4]) end
        return 1
        """;

    // ARGV: 1 peer id.
    private const string RemoveScript = """
        redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        return redis.call('HDEL', KEYS[3], ARGV[1])
        """;

    // ARGV: 1 numwant, 2 requester peer id or '', 3 leechers only '1'|'0'. Returns id, address|port, complete per peer.
    private const string ListScript = Prelude + """
        purge()
        local want = tonumber(ARGV[1])
        local result = {}
        local lists = {{KEYS[2], '0'}}
        if ARGV[3] ~= '1' then lists[2] = {KEYS[1], '1'} end
        local picked = {}
        for _, list in ipairs(lists) do
          for _, id in ipairs(redis.call('ZRANDMEMBER', list[1], want + 1)) do
            if id ~= ARGV[2] then picked[#picked + 1] = {id, list[2]} end
          end
        end
        for i = #picked, 2, -1 do
          local j = math.random(i)
          picked[i], picked[j] = picked[j], picked[i]
        end
        for i = 1, math.min(want, #picked) do
          local address = redis.call('HGET', KEYS[3], picked[i][1])
          if address then
            result[#result + 1] = picked[i][1]
            result[#result + 1] = address
            result[#result + 1] = picked[i][2]
          end
        end
        return result
        """;

    private const string ScrapeScript = Prelude + """
        purge()
        return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), tonumber(redis.call('GET', KEYS[4]) or '0')}
        """;

    private readonly string _prefix = options.Value.KeyPrefix;
    private readonly long _ttl = (long)options.Value.PeerTtl.TotalMilliseconds;

    public async ValueTask AnnounceAsync(string infoHash, SwarmPeer peer, bool completedNow, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(infoHash);
        ArgumentException.ThrowIfNullOrEmpty(peer.PeerId);
        RedisValue[] args = [peer.PeerId, $"{peer.Address}|{peer.Port.ToString(CultureInfo.InvariantCulture)}", peer.Complete ? "1" : "0", _ttl, completedNow ? "1" : "0"];
        await EvaluateAsync(AnnounceScript, infoHash, args, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask RemoveAsync(string infoHash, string peerId, CancellationToken cancellationToken) =>
        await EvaluateAsync(RemoveScript, infoHash, [peerId], cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<SwarmPeer>> ListAsync(string infoHash, int numWant, string? requesterPeerId, bool leechersOnly, CancellationToken cancellationToken)
    {
        if (numWant <= 0)
        {
            return [];
        }

        var result = (RedisValue[]?)await EvaluateAsync(ListScript, infoHash, [numWant, requesterPeerId ?? string.Empty, leechersOnly ? "1" : "0"], cancellationToken).ConfigureAwait(false) ?? [];
        var peers = new List<SwarmPeer>(result.Length / 3);
        for (var i = 0; i + 2 < result.Length; i += 3)
        {
            var address = result[i + 1].ToString();
            var bar = address.LastIndexOf('|');
            if (bar > 0 && int.TryParse(address.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                peers.Add(new SwarmPeer(result[i].ToString(), address[..bar], port, result[i + 2] == "1"));
            }
        }

        return peers;
    }

    public async ValueTask<ScrapeCounts> ScrapeAsync(string infoHash, CancellationToken cancellationToken)
    {
        var counts = (long[]?)await EvaluateAsync(ScrapeScript, infoHash, [], cancellationToken).ConfigureAwait(false) ?? [0, 0, 0];
        return new ScrapeCounts((int)counts[0], (int)counts[1], counts[2]);
    }

    private async Task<RedisResult> EvaluateAsync(string script, string infoHash, RedisValue[] args, CancellationToken cancellationToken)
    {
        var tag = "{" + _prefix + ":t:" + infoHash + "}";
        RedisKey[] keys = [tag + ":seeders", tag + ":leechers", tag + ":peers", tag + ":downloaded"];
        return await resilience.Pipeline.ExecuteAsync(
            async ct => await connection.Multiplexer.GetDatabase().ScriptEvaluateAsync(script, keys, args).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }
}
