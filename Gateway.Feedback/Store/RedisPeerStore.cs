using System.Text;
using Gateway.Feedback.Torrents;
using Gateway.Feedback.Tracker;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Feedback.Store;

/// <summary>
/// The tracker's swarms in Redis (or Redis Cluster), shared by every tracker that names the same Redis and key
/// prefix. A swarm's keys share the hash tag <c>{prefix:t:infohash}</c>: one swarm lives in one Cluster slot, so
/// each call is one atomic Lua script, and swarms spread over the cluster. Expiry is the store's: expired
/// anonymous peers are purged on every announce to their swarm, a quiet swarm's keys expire as a whole, and
/// keyed (volunteer) peers are listed by expiry in one index that <see cref="ExpireAsync"/> sweeps.
/// </summary>
/// <remarks>
/// Expiry times are the trackers' clocks (the caller's <c>expiresAt</c>, and <see cref="TimeProvider"/> for now):
/// peer lifetimes are minutes, so NTP-synchronized trackers agree well enough. Not resilient on its own: the
/// tracker uses it through <see cref="ResilientPeerStore"/>.
/// </remarks>
public sealed class RedisPeerStore(RedisConnection connection, SwarmStoreResilience resilience, IOptions<StoreOptions> options, TimeProvider time) : IPeerStore
{
    // A peer is one sorted-set member: its id (20 raw bytes) then its record: address length, compact address,
    // volunteer id (none: anonymous). So a reply's peers come straight out of ZRANDMEMBER, with no lookup per
    // peer. The hash maps each id to its current member, to find and replace it on the next announce.
    // KEYS: 1 seeders, 2 leechers (sorted sets: member → expiry ms), 3 members (hash: id → member), 4 completed (counter).
    private const string Purge = """
        local now = tonumber(ARGV[1])
        local function purge(key)
          for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. now, 'LIMIT', 0, 100)) do
            -- A keyed peer stays (not listed, not counted) until the sweep reports it: its volunteer loses holdings.
            if #m == 21 + string.byte(m, 21) then
              local id = string.sub(m, 1, 20)
              redis.call('ZREM', key, m)
              if redis.call('HGET', KEYS[3], id) == m then redis.call('HDEL', KEYS[3], id) end
            end
          end
        end

        """;

    // ARGV: 1 now, 2 peer id, 3 record, 4 seeder '1'|'0', 5 expires at, 6 completed '1'|'0', 7 want, 8 keys' TTL.
    // Returns previous (0 absent, 1 leecher, 2 seeder), seeders, leechers, completed, then member, seeder (1|0) per listed peer.
    private const string AnnounceScript = Purge + """
        purge(KEYS[1])
        purge(KEYS[2])
        local previous = 0
        local old = redis.call('HGET', KEYS[3], ARGV[2])
        if old then
          local s = redis.call('ZSCORE', KEYS[1], old)
          if s then
            if tonumber(s) >= now then previous = 2 end
            redis.call('ZREM', KEYS[1], old)
          else
            local l = redis.call('ZSCORE', KEYS[2], old)
            if l and tonumber(l) >= now then previous = 1 end
            redis.call('ZREM', KEYS[2], old)
          end
        end
        local member = ARGV[2] .. ARGV[3]
        local seeder = ARGV[4] == '1'
        redis.call('ZADD', seeder and KEYS[1] or KEYS[2], ARGV[5], member)
        redis.call('HSET', KEYS[3], ARGV[2], member)
        if (seeder and previous == 1) or (ARGV[6] == '1' and previous ~= 2) then redis.call('INCR', KEYS[4]) end
        local result = {previous, redis.call('ZCOUNT', KEYS[1], now, '+inf'), redis.call('ZCOUNT', KEYS[2], now, '+inf'), tonumber(redis.call('GET', KEYS[4]) or '0')}
        local want = tonumber(ARGV[7])
        if want > 0 then
          -- A random sample of each list, interleaved so that seeders and leechers both get their share.
          local lists = {redis.call('ZRANDMEMBER', KEYS[1], want + 1, 'WITHSCORES'), redis.call('ZRANDMEMBER', KEYS[2], want + 1, 'WITHSCORES')}
          local at, taken = {1, 1}, 0
          while taken < want and (at[1] <= #lists[1] or at[2] <= #lists[2]) do
            for k = 1, 2 do
              local list, i = lists[k], at[k]
              while i <= #list and taken < want do
                local m, expires = list[i], tonumber(list[i + 1])
                i = i + 2
                if expires >= now and m ~= member then
                  result[#result + 1] = m
                  result[#result + 1] = 2 - k
                  taken = taken + 1
                  break
                end
              end
              at[k] = i
            end
          end
        end
        local ttl = tonumber(ARGV[8])
        for k = 1, 4 do
          if redis.call('PTTL', KEYS[k]) < ttl then redis.call('PEXPIRE', KEYS[k], ttl) end
        end
        return result
        """;

    // ARGV: 1 peer id, 2 completed '1'|'0'. Returns member, was seeder (1|0); or nil.
    private const string RemoveScript = """
        local m = redis.call('HGET', KEYS[3], ARGV[1])
        if not m then return nil end
        local seeder = redis.call('ZREM', KEYS[1], m)
        redis.call('ZREM', KEYS[2], m)
        redis.call('HDEL', KEYS[3], ARGV[1])
        if ARGV[2] == '1' and seeder == 0 then redis.call('INCR', KEYS[4]) end
        return {m, seeder}
        """;

    // ARGV: 1 now.
    private const string ScrapeScript = """
        local now = tonumber(ARGV[1])
        return {redis.call('ZCOUNT', KEYS[1], now, '+inf'), redis.call('ZCOUNT', KEYS[2], now, '+inf'), tonumber(redis.call('GET', KEYS[4]) or '0')}
        """;

    // ARGV: 1 now, 2 peer id. Removes the peer only if it really expired (it may have announced since the index
    // was read). Returns member, was seeder (1|0); or nil.
    private const string ExpirePeerScript = """
        local now = tonumber(ARGV[1])
        local m = redis.call('HGET', KEYS[3], ARGV[2])
        if not m then return nil end
        for k = 1, 2 do
          local expires = redis.call('ZSCORE', KEYS[k], m)
          if expires then
            if tonumber(expires) >= now then return nil end
            redis.call('ZREM', KEYS[k], m)
            redis.call('HDEL', KEYS[3], ARGV[2])
            return {m, 2 - k}
          end
        end
        return nil
        """;

    // KEYS: 1 keyed index. ARGV: 1 now, 2 member. Drops the entry unless an announce refreshed it meanwhile.
    private const string ForgetIndexScript = """
        local expires = redis.call('ZSCORE', KEYS[1], ARGV[2])
        if expires and tonumber(expires) < tonumber(ARGV[1]) then return redis.call('ZREM', KEYS[1], ARGV[2]) end
        return 0
        """;

    // How many keyed peers one sweep takes at most; the next sweep takes the rest.
    private const int SweepBatch = 1000;

    private readonly string _prefix = options.Value.KeyPrefix;
    private readonly RedisKey _keyed = "{" + options.Value.KeyPrefix + ":tk}:keyed";

    private IDatabase Database => connection.Multiplexer.GetDatabase();

    public async ValueTask<AnnounceOutcome> AnnounceAsync(InfoHash swarm, SwarmPeer peer, DateTimeOffset expiresAt, bool completed, Memory<SwarmPeer> peers, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expires = expiresAt.ToUnixTimeMilliseconds();

        // The swarm's keys outlive its last peer by a minute, so the sweep finds a keyed peer's record.
        var keysTtl = Math.Max(1, (long)(expiresAt - now).TotalMilliseconds) + 60_000;
        RedisValue[] args = [now.ToUnixTimeMilliseconds(), Id(peer.Id), Record(peer), peer.IsSeeder ? "1" : "0", expires, completed ? "1" : "0", peers.Length, keysTtl];
        var result = (RedisResult[])(await EvaluateAsync(AnnounceScript, swarm, args, cancellationToken).ConfigureAwait(false))!;
        if (peer.VolunteerId is not null)
        {
            // In another slot than the swarm (a Cluster script touches one slot): a second call. Lost, it only
            // means the volunteer's holdings leave by the swarm store's own expiry instead of the sweep.
            await resilience.Pipeline.ExecuteAsync(
                async ct => await Database.SortedSetAddAsync(_keyed, Member(swarm, peer.Id), expires).WaitAsync(ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }

        var written = 0;
        var span = peers.Span;
        for (var i = 4; i + 1 < result.Length && written < span.Length; i += 2)
        {
            span[written++] = ReadPeer((byte[])result[i]!, isSeeder: (long)result[i + 1] == 1);
        }

        var counts = new SwarmCounts((int)result[1], (int)result[2], (int)result[3]);
        return new AnnounceOutcome((PreviousState)(int)result[0], counts, written);
    }

    public async ValueTask<SwarmPeer?> RemoveAsync(InfoHash swarm, PeerId peer, bool completed, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RemoveScript, swarm, [Id(peer), completed ? "1" : "0"], cancellationToken).ConfigureAwait(false);
        return result.IsNull ? null : ReadRemoved((RedisResult[])result!);
    }

    public async ValueTask<SwarmCounts> ScrapeAsync(InfoHash swarm, CancellationToken cancellationToken)
    {
        var counts = (long[])(await EvaluateAsync(ScrapeScript, swarm, [time.GetUtcNow().ToUnixTimeMilliseconds()], cancellationToken).ConfigureAwait(false))!;
        return new SwarmCounts((int)counts[0], (int)counts[1], (int)counts[2]);
    }

    public async ValueTask<IReadOnlyList<ExpiredPeer>> ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = now.ToUnixTimeMilliseconds();
        var due = await resilience.Pipeline.ExecuteAsync(
            async ct => await Database.SortedSetRangeByScoreAsync(_keyed, double.NegativeInfinity, at, Exclude.Stop, take: SweepBatch).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var expired = new List<ExpiredPeer>();
        foreach (var member in due)
        {
            var bytes = (byte[])member!;
            if (bytes.Length != InfoHash.Length + PeerId.Length)
            {
                continue;
            }

            var swarm = new InfoHash(bytes.AsSpan(0, InfoHash.Length));
            var peer = new PeerId(bytes.AsSpan(InfoHash.Length));
            var result = await EvaluateAsync(ExpirePeerScript, swarm, [at, Id(peer)], cancellationToken).ConfigureAwait(false);
            if (!result.IsNull && ReadRemoved((RedisResult[])result!) is { VolunteerId: not null } gone)
            {
                expired.Add(new ExpiredPeer(swarm, gone));
            }

            await resilience.Pipeline.ExecuteAsync(
                async ct => await Database.ScriptEvaluateAsync(ForgetIndexScript, [_keyed], [at, member]).WaitAsync(ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }

        return expired;
    }

    private static SwarmPeer ReadRemoved(RedisResult[] result) => ReadPeer((byte[])result[0]!, isSeeder: (long)result[1] == 1);

    /// <summary>Reads a member: the peer id, then the record (address length, compact address, volunteer id).</summary>
    private static SwarmPeer ReadPeer(byte[] member, bool isSeeder)
    {
        var record = member.AsSpan(PeerId.Length);
        var length = record[0];
        var volunteer = record.Length > length + 1 ? Encoding.UTF8.GetString(record[(length + 1)..]) : null;
        return new SwarmPeer(new PeerId(member.AsSpan(0, PeerId.Length)), PeerAddress.FromCompact(record.Slice(1, length)), isSeeder, volunteer);
    }

    private static byte[] Id(PeerId peer)
    {
        var bytes = new byte[PeerId.Length];
        peer.CopyTo(bytes);
        return bytes;
    }

    private static byte[] Member(InfoHash swarm, PeerId peer)
    {
        var bytes = new byte[InfoHash.Length + PeerId.Length];
        swarm.CopyTo(bytes);
        peer.CopyTo(bytes.AsSpan(InfoHash.Length));
        return bytes;
    }

    private static byte[] Record(SwarmPeer peer)
    {
        var volunteer = peer.VolunteerId ?? string.Empty;
        var bytes = new byte[1 + peer.Address.CompactLength + Encoding.UTF8.GetByteCount(volunteer)];
        bytes[0] = (byte)peer.Address.WriteCompact(bytes.AsSpan(1));
        Encoding.UTF8.GetBytes(volunteer, bytes.AsSpan(1 + bytes[0]));
        return bytes;
    }

    private async Task<RedisResult> EvaluateAsync(string script, InfoHash swarm, RedisValue[] args, CancellationToken cancellationToken)
    {
        var tag = "{" + _prefix + ":t:" + swarm.ToString() + "}";
        RedisKey[] keys = [tag + ":seeders", tag + ":leechers", tag + ":peers", tag + ":completed"];
        return await resilience.Pipeline.ExecuteAsync(
            async ct => await Database.ScriptEvaluateAsync(script, keys, args).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }
}
