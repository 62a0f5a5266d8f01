using System.Text;
using Gateway.Core.Torrents;
using Gateway.State.Resilience;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.State.Redis;

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
/// tracker uses it through <see cref="ResilientSwarmPeerStore"/>.
/// </remarks>
public sealed class RedisSwarmPeerStore(RedisConnection connection, StoreResilience resilience, IOptions<StoreOptions> options, TimeProvider time) : ISwarmPeerStore
{
    // A peer is one sorted-set member: its id (20 raw bytes) then its record: address length, compact address,
    // volunteer id (none: anonymous). So a reply's peers come straight out of ZRANDMEMBER, with no lookup per
    // peer. The hash maps each id to its current member, to find and replace it on the next announce.
    // KEYS: 1 seeders, 2 leechers (sorted sets: member → expiry ms), 3 members (hash: id → member), 4 completed (counter),
    // 5 change log (sorted set: id → sequence of its last change), 6 change counter. Trackers that answer from a local
    // copy (ResilientSwarmPeerStore) read the log to learn what other trackers changed since their last read.
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

    // Notes a change of peer `id` in the swarm's log, keeping the latest 4096 ids. A new counter starts at the
    // creation time (seconds × 10⁴, exact in Lua's number format), so a swarm that Redis lost and re-created
    // does not continue an old sequence: a reader sees the gap and reads the whole swarm again.
    private const string Log = """
        local function logged(id)
          if redis.call('EXISTS', KEYS[6]) == 0 then redis.call('SET', KEYS[6], redis.call('TIME')[1] .. '0000') end
          local seq = redis.call('INCR', KEYS[6])
          redis.call('ZADD', KEYS[5], seq, id)
          if seq % 64 == 0 then redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -4097) end
        end

        """;

    // ARGV: 1 now, 2 peer id, 3 record, 4 seeder '1'|'0', 5 expires at, 6 completed '1'|'0', 7 want, 8 keys' TTL.
    // Returns previous (0 absent, 1 leecher, 2 seeder), seeders, leechers, completed, then member, seeder (1|0) per listed peer.
    private const string AnnounceScript = Purge + Log + """
        purge(KEYS[1])
        purge(KEYS[2])
        logged(ARGV[2])
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
        for k = 1, 6 do
          if redis.call('PTTL', KEYS[k]) < ttl then redis.call('PEXPIRE', KEYS[k], ttl) end
        end
        return result
        """;

    // ARGV: 1 peer id, 2 completed '1'|'0'. Returns member, was seeder (1|0); or nil.
    private const string RemoveScript = Log + """
        local m = redis.call('HGET', KEYS[3], ARGV[1])
        if not m then return nil end
        logged(ARGV[1])
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

    // Many swarms' writes in one call (one Cluster slot): 6 KEYS per swarm as above. ARGV: 1 now, then per swarm
    // its entry count and keys' TTL, then per entry 'a', id, record, seeder, expires, completed (an announce) or
    // 'r', id, completed (a removal). The same steps as AnnounceScript and RemoveScript, without the reply.
    private const string WriteBatchScript = """
        local now = tonumber(ARGV[1])
        local p, k = 2, 0
        while p <= #ARGV do
          local S, L, H, C, G, Q = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6]
          k = k + 6
          local n, ttl = tonumber(ARGV[p]), tonumber(ARGV[p + 1])
          p = p + 2
          for _, key in ipairs({S, L}) do
            for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. now, 'LIMIT', 0, 100)) do
              if #m == 21 + string.byte(m, 21) then
                redis.call('ZREM', key, m)
                local id = string.sub(m, 1, 20)
                if redis.call('HGET', H, id) == m then redis.call('HDEL', H, id) end
              end
            end
          end
          for _ = 1, n do
            local id = ARGV[p + 1]
            local old = redis.call('HGET', H, id)
            local was = 0
            if old then
              local s = redis.call('ZSCORE', S, old)
              if s then
                if tonumber(s) >= now then was = 2 end
                redis.call('ZREM', S, old)
              else
                local l = redis.call('ZSCORE', L, old)
                if l and tonumber(l) >= now then was = 1 end
                redis.call('ZREM', L, old)
              end
            end
            if ARGV[p] == 'a' then
              local member, seeder = id .. ARGV[p + 2], ARGV[p + 3] == '1'
              redis.call('ZADD', seeder and S or L, ARGV[p + 4], member)
              redis.call('HSET', H, id, member)
              if (seeder and was == 1) or (ARGV[p + 5] == '1' and was ~= 2) then redis.call('INCR', C) end
              p = p + 6
            else
              if old then redis.call('HDEL', H, id) end
              if ARGV[p + 2] == '1' and was == 1 then redis.call('INCR', C) end
              p = p + 3
            end
            if redis.call('EXISTS', Q) == 0 then redis.call('SET', Q, redis.call('TIME')[1] .. '0000') end
            local seq = redis.call('INCR', Q)
            redis.call('ZADD', G, seq, id)
            if seq % 64 == 0 then redis.call('ZREMRANGEBYRANK', G, 0, -4097) end
          end
          for _, key in ipairs({S, L, H, C, G, Q}) do
            if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
          end
        end
        return 0
        """;

    // Many swarms' changes in one call (one Cluster slot): 6 KEYS per swarm. ARGV: 1 now, then per swarm the
    // sequence read last (0: never). Returns per swarm {sequence, completed, whole (1: the peers are every live
    // peer, not changes: a first read, a log that no longer reaches back, or a swarm Redis lost), then member, seeder (1|0), expiry per
    // live peer changed since (every live peer when the log no longer reaches back that far), or id, 3, 0 per
    // peer gone since}.
    private const string ReadSinceScript = """
        local now = tonumber(ARGV[1])
        local out = {}
        for i = 2, #ARGV do
          local k = (i - 2) * 6
          local S, L, H, C, G, Q = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6]
          local since = tonumber(ARGV[i])
          local seq = tonumber(redis.call('GET', Q) or '0')
          local r = {seq, tonumber(redis.call('GET', C) or '0'), 0}
          if seq < since then
            r[3] = 1
          elseif seq > since then
            local first = redis.call('ZRANGE', G, 0, 0, 'WITHSCORES')
            if since == 0 or #first == 0 or tonumber(first[2]) > since + 1 then
              r[3] = 1
              for j, key in ipairs({S, L}) do
                local list = redis.call('ZRANGEBYSCORE', key, now, '+inf', 'WITHSCORES')
                for x = 1, #list, 2 do
                  r[#r + 1] = list[x]
                  r[#r + 1] = 2 - j
                  r[#r + 1] = tonumber(list[x + 1])
                end
              end
            else
              for _, id in ipairs(redis.call('ZRANGEBYSCORE', G, '(' .. since, '+inf')) do
                local m = redis.call('HGET', H, id)
                local live = false
                if m then
                  for j, key in ipairs({S, L}) do
                    local e = redis.call('ZSCORE', key, m)
                    if e and tonumber(e) >= now then
                      r[#r + 1] = m
                      r[#r + 1] = 2 - j
                      r[#r + 1] = tonumber(e)
                      live = true
                    end
                  end
                end
                if not live then
                  r[#r + 1] = id
                  r[#r + 1] = 3
                  r[#r + 1] = 0
                end
              end
            end
          end
          out[#out + 1] = r
        end
        return out
        """;

    // Swarms per batched call: a call runs alone in Redis, so it stays short.
    private const int SwarmsPerCall = 64;

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
            // means the volunteer's holdings leave by the holdings store's own expiry instead of the sweep.
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

    /// <summary>
    /// Writes many peers' latest announces and removals: one script call per group of swarms in one Cluster slot
    /// (per <see cref="SwarmsPerCall"/> swarms on a single Redis), all sent before any reply is awaited.
    /// </summary>
    public async Task WriteAsync(IReadOnlyList<PeerWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var now = time.GetUtcNow();
        var calls = new List<Task>();
        var keyed = new List<SortedSetEntry>();
        foreach (var group in GroupBySlot(writes.GroupBy(w => w.Swarm).ToList(), g => g.Key))
        {
            var keys = new List<RedisKey>(group.Count * 6);
            var args = new List<RedisValue> { now.ToUnixTimeMilliseconds() };
            foreach (var swarm in group)
            {
                keys.AddRange(Keys(swarm.Key));
                var entries = swarm.ToList();
                var latest = entries.Max(w => w.Peer is null ? now : w.ExpiresAt);
                args.Add(entries.Count);
                args.Add(Math.Max(1, (long)(latest - now).TotalMilliseconds) + 60_000);
                foreach (var write in entries)
                {
                    if (write.Peer is { } peer)
                    {
                        args.AddRange(["a", Id(write.Id), Record(peer), peer.IsSeeder ? "1" : "0", write.ExpiresAt.ToUnixTimeMilliseconds(), write.Completed ? "1" : "0"]);
                        if (peer.VolunteerId is not null)
                        {
                            keyed.Add(new SortedSetEntry(Member(write.Swarm, write.Id), write.ExpiresAt.ToUnixTimeMilliseconds()));
                        }
                    }
                    else
                    {
                        args.AddRange(["r", Id(write.Id), write.Completed ? "1" : "0"]);
                    }
                }
            }

            RedisKey[] keyArray = [.. keys];
            RedisValue[] argArray = [.. args];
            calls.Add(resilience.Pipeline.ExecuteAsync(
                async ct => await Database.ScriptEvaluateAsync(WriteBatchScript, keyArray, argArray).WaitAsync(ct).ConfigureAwait(false),
                cancellationToken).AsTask());
        }

        if (keyed.Count > 0)
        {
            SortedSetEntry[] entries = [.. keyed];
            calls.Add(resilience.Pipeline.ExecuteAsync(
                async ct => await Database.SortedSetAddAsync(_keyed, entries).WaitAsync(ct).ConfigureAwait(false),
                cancellationToken).AsTask());
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads what changed in each swarm since the sequence the caller read last (0: everything live), for a
    /// tracker that answers from its own copy: one script call per group of swarms, all sent before any reply is awaited.
    /// </summary>
    public async Task<IReadOnlyList<SwarmCopy>> ReadSinceAsync(IReadOnlyList<(InfoHash Swarm, long Since)> swarms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(swarms);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var calls = new List<(List<(InfoHash Swarm, long Since)> Group, Task<RedisResult> Reply)>();
        foreach (var group in GroupBySlot(swarms, s => s.Swarm))
        {
            RedisKey[] keys = [.. group.SelectMany(s => Keys(s.Swarm))];
            RedisValue[] args = [now, .. group.Select(s => (RedisValue)s.Since)];
            calls.Add((group, resilience.Pipeline.ExecuteAsync(
                async ct => await Database.ScriptEvaluateAsync(ReadSinceScript, keys, args).WaitAsync(ct).ConfigureAwait(false),
                cancellationToken).AsTask()));
        }

        var copies = new List<SwarmCopy>(swarms.Count);
        foreach (var (group, reply) in calls)
        {
            var results = (RedisResult[])(await reply.ConfigureAwait(false))!;
            for (var i = 0; i < group.Count; i++)
            {
                var result = (RedisResult[])results[i]!;
                var peers = new MergedPeer[(result.Length - 3) / 3];
                for (var j = 0; j < peers.Length; j++)
                {
                    var bytes = (byte[])result[3 + (3 * j)]!;
                    var state = (long)result[4 + (3 * j)];
                    peers[j] = state == 3
                        ? new MergedPeer(new PeerId(bytes), null, default)
                        : ToMerged(ReadPeer(bytes, isSeeder: state == 1), DateTimeOffset.FromUnixTimeMilliseconds((long)result[5 + (3 * j)]));
                }

                copies.Add(new SwarmCopy(group[i].Swarm, (long)result[0], (int)result[1], (long)result[2] == 1, peers));
            }
        }

        return copies;
    }

    private static MergedPeer ToMerged(SwarmPeer peer, DateTimeOffset expiresAt) => new(peer.Id, peer, expiresAt);

    // Swarms whose keys share a Cluster slot go in one call, at most SwarmsPerCall of them; on a single Redis every swarm shares the "no slot".
    private List<List<T>> GroupBySlot<T>(IReadOnlyList<T> items, Func<T, InfoHash> swarm)
    {
        var groups = new List<List<T>>();
        foreach (var bySlot in items.GroupBy(i => connection.Multiplexer.HashSlot(Keys(swarm(i))[0])))
        {
            groups.AddRange(bySlot.Chunk(SwarmsPerCall).Select(c => c.ToList()));
        }

        return groups;
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
        return await resilience.Pipeline.ExecuteAsync(
            async ct => await Database.ScriptEvaluateAsync(script, Keys(swarm), args).WaitAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
    }

    private RedisKey[] Keys(InfoHash swarm)
    {
        var tag = "{" + _prefix + ":t:" + swarm.ToString() + "}";
        return [tag + ":seeders", tag + ":leechers", tag + ":peers", tag + ":completed", tag + ":log", tag + ":seq"];
    }
}
