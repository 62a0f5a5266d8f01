namespace Gateway.State.Redis;

/// <summary>
/// The Lua scripts that change the swarm state in Redis. Each runs atomically on the server: the change,
/// the refresh of the volunteer's expiry and the publication of the change happen together, so a reader
/// never sees a change without its notification or the other way round. Times come from the Redis
/// server's clock (TIME), so every writer judges expiry by the same clock.
/// </summary>
/// <remarks>KEYS: 1 registry, 2 holdings, 3 load, 4 holdings versions. ARGV: 1 volunteer id, 2 TTL in ms, 3 channel, then the script's own.</remarks>
internal static class RedisSwarmScripts
{
    private const string Prelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function touch()
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
          redis.call('PEXPIRE', KEYS[2], ARGV[2])
          redis.call('PEXPIRE', KEYS[3], ARGV[2])
        end
        local function published(added, removed)
          touch()
          redis.call('HSET', KEYS[4], ARGV[1], now)
          if #added > 0 or #removed > 0 then
            redis.call('SPUBLISH', ARGV[3], cjson.encode({k = 'h', v = ARGV[1], a = added, r = removed, t = now}))
          end
          return #added + #removed
        end
        local function apply(cmd, list)
          for i = 1, #list, 4000 do
            redis.call(cmd, KEYS[2], unpack(list, i, math.min(i + 3999, #list)))
          end
        end

        """;

    /// <summary>ARGV 4..: the complete holdings. Publishes only the difference.</summary>
    public const string Replace = Prelude + """
        local wanted = {}
        for i = 4, #ARGV do wanted[ARGV[i]] = true end
        local removed = {}
        for _, c in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          if wanted[c] then wanted[c] = nil else removed[#removed + 1] = c end
        end
        local added = {}
        for i = 4, #ARGV do
          local c = ARGV[i]
          if wanted[c] then added[#added + 1] = c; wanted[c] = nil end
        end
        apply('SREM', removed)
        apply('SADD', added)
        return published(added, removed)
        """;

    /// <summary>ARGV 4: how many added follow; then the added, then the removed. Publishes what really changed.</summary>
    public const string Update = Prelude + """
        local n = tonumber(ARGV[4])
        local added, removed = {}, {}
        for i = 5, 4 + n do
          if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then added[#added + 1] = ARGV[i] end
        end
        for i = 5 + n, #ARGV do
          if redis.call('SREM', KEYS[2], ARGV[i]) == 1 then removed[#removed + 1] = ARGV[i] end
        end
        return published(added, removed)
        """;

    /// <summary>ARGV 4: the encoded load report.</summary>
    public const string ReportLoad = Prelude + """
        redis.call('SET', KEYS[3], ARGV[4])
        touch()
        redis.call('SPUBLISH', ARGV[3], cjson.encode({k = 'l', v = ARGV[1], l = ARGV[4], t = now}))
        return 1
        """;

    /// <summary>ARGV 4: '1' to remove only when the volunteer's record has expired (the sweep), '0' to remove it now.</summary>
    public const string Remove = Prelude + """
        if ARGV[4] == '1' then
          local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
          if expires and tonumber(expires) > now then return 0 end
        end
        local had = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('DEL', KEYS[2], KEYS[3])
        redis.call('HDEL', KEYS[4], ARGV[1])
        if had > 0 then
          redis.call('SPUBLISH', ARGV[3], cjson.encode({k = 'x', v = ARGV[1], t = now}))
        end
        return had
        """;

    // The store's generation (StoreGeneration): the epoch key, set to ARGV's candidate when missing, and the run id of
    // the server running the script (in a cluster, the node that owns the swarm slot).
    private const string GenerationLua = """
        local function generation(key, candidate)
          local epoch = redis.call('GET', key)
          if not epoch then
            redis.call('SET', key, candidate)
            epoch = candidate
          end
          return {epoch, string.match(redis.call('INFO', 'server'), 'run_id:(%w+)') or ''}
        end

        """;

    /// <summary>KEYS 1: epoch. ARGV 1: a new epoch in case there is none. Returns {epoch, run id}.</summary>
    public const string Generation = GenerationLua + """
        return generation(KEYS[1], ARGV[1])
        """;

    /// <summary>KEYS 1: registry, 2: epoch. ARGV 1: a new epoch in case there is none. Returns {epoch, run id, live volunteers…} in one step.</summary>
    public const string Snapshot = GenerationLua + """
        local result = generation(KEYS[2], ARGV[1])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        for _, v in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do result[#result + 1] = v end
        return result
        """;

    /// <summary>KEYS 1: registry. ARGV 1: 'live' or 'expired'. The volunteers on either side of the server's now.</summary>
    public const string Volunteers = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        if ARGV[1] == 'expired' then
          return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
        end
        return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
        """;
}
