namespace BudgetRun.Ledgers.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisStore"/>. Redis runs a script atomically, so each reservation,
/// settle and expiry is one step that no other replica can interleave with. Every key of an account
/// shares the hash tag <c>{KEY}</c>, so the scripts' keys live in one slot (Redis Cluster too).
/// Layout under <c>budget-run:{KEY}</c>: <c>:acct</c> (hash: limit, window (fixed seconds, 0: none),
/// calendar (day, week, month; absent for the others), tz, updated, killed, reason, killed_at; the
/// previous release wrote limit and window only, which read as a fixed window),
/// <c>:b:BUCKET</c> (hash: spent, reserved), <c>:open</c> (sorted set of open reservation ids by expiry),
/// <c>:r:ID</c> (hash: one reservation and the run that made it), <c>:op:ID</c> (a reported spend, once).
/// </summary>
internal static class RedisScripts
{
    private const string Helpers = """
        local function num(v) return tonumber(v) or 0 end
        local function bucket(key)
          local b = redis.call('HMGET', key, 'spent', 'reserved')
          return num(b[1]), num(b[2])
        end
        """;

    /// <summary>
    /// KEYS: acct, bucket, open, reservation. ARGV: prefix, id, bucket, cents, limit, now, expires, run,
    /// pid, host, window, retention; limit and window are written only when the account has no terms
    /// stored (it was lost): a run never changes existing terms. Returns {status, spent, reserved, killed, reason, killed_at} where
    /// status is 1 reserved, 0 insufficient, 2 killed.
    /// </summary>
    public const string Reserve = Helpers + """

        local acct = redis.call('HMGET', KEYS[1], 'killed', 'reason', 'killed_at')
        if acct[1] == '1' then
          local s, r = bucket(KEYS[2])
          return {2, s, r, 1, acct[2] or '', acct[3] or ''}
        end
        if redis.call('EXISTS', KEYS[4]) == 1 then
          local s, r = bucket(KEYS[2])
          return {1, s, r, 0, '', ''}
        end
        local now = tonumber(ARGV[6])
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
          local rk = ARGV[1] .. ':r:' .. id
          local rv = redis.call('HMGET', rk, 'bucket', 'cents', 'state')
          if rv[3] == 'open' then
            local bk = ARGV[1] .. ':b:' .. rv[1]
            redis.call('HINCRBY', bk, 'reserved', 0 - num(rv[2])) -- never the unary minus: Lua's -0 reaches Redis as "-0", which HINCRBY rejects
            redis.call('HINCRBY', bk, 'spent', num(rv[2]))
            redis.call('HSET', rk, 'state', 'expired')
            redis.call('PEXPIRE', rk, ARGV[12])
          end
          redis.call('ZREM', KEYS[3], id)
        end
        local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
        if not limit then
          -- The account is gone (a Redis without persistence restarted): the run creates it again,
          -- as it does a missing account at start, with the terms it opened it with.
          limit = tonumber(ARGV[5])
          redis.call('HSET', KEYS[1], 'limit', ARGV[5], 'window', ARGV[11], 'updated', ARGV[6])
        end
        local s, r = bucket(KEYS[2])
        local cents = tonumber(ARGV[4])
        if s + r + cents > limit then
          return {0, s, r, 0, '', ''}
        end
        redis.call('HINCRBY', KEYS[2], 'reserved', cents)
        redis.call('HSET', KEYS[4], 'bucket', ARGV[3], 'cents', ARGV[4], 'state', 'open', 'created', ARGV[6],
          'expires', ARGV[7], 'run', ARGV[8], 'pid', ARGV[9], 'host', ARGV[10])
        redis.call('ZADD', KEYS[3], ARGV[7], ARGV[2])
        return {1, s, r + cents, 0, '', ''}
        """;

    /// <summary>
    /// KEYS: reservation, open. ARGV: prefix, id, actual, nonce, now, retention, final state
    /// (settled or released), cancel (1: an unknown id is recorded as released, so a reservation with
    /// that id arriving later is a replay that reserves nothing). Returns 1 done (or a retry of the
    /// same call), -1 not found, -2 already finished.
    /// </summary>
    public const string Finish = Helpers + """

        local rv = redis.call('HMGET', KEYS[1], 'bucket', 'cents', 'state', 'nonce')
        if not rv[3] then
          if ARGV[8] == '1' then
            redis.call('HSET', KEYS[1], 'bucket', '', 'cents', 0, 'state', 'released', 'settled', 0, 'nonce', ARGV[4],
              'created', ARGV[5], 'expires', ARGV[5], 'ended', ARGV[5], 'run', '', 'pid', 0, 'host', '')
            redis.call('PEXPIRE', KEYS[1], ARGV[6])
          end
          return -1
        end
        if rv[3] == 'settled' or rv[3] == 'released' then
          if rv[4] == ARGV[4] then return 1 end
          return -2
        end
        local bk = ARGV[1] .. ':b:' .. rv[1]
        local cents = num(rv[2])
        local actual = tonumber(ARGV[3])
        if rv[3] == 'open' then
          redis.call('HINCRBY', bk, 'reserved', 0 - cents)
          redis.call('HINCRBY', bk, 'spent', actual)
          redis.call('ZREM', KEYS[2], ARGV[2])
        else
          redis.call('HINCRBY', bk, 'spent', actual - cents)
        end
        redis.call('HSET', KEYS[1], 'state', ARGV[7], 'settled', ARGV[3], 'nonce', ARGV[4], 'ended', ARGV[5])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return 1
        """;

    /// <summary>
    /// KEYS: acct, bucket, operation. ARGV: cents, how long to remember the operation. Adds once per operation id (a retry after
    /// a lost answer does not add again). Returns {spent, reserved, killed, reason, killed_at}.
    /// </summary>
    public const string AddSpend = Helpers + """

        if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then
          redis.call('HINCRBY', KEYS[2], 'spent', ARGV[1])
        end
        local s, r = bucket(KEYS[2])
        local acct = redis.call('HMGET', KEYS[1], 'killed', 'reason', 'killed_at')
        return {s, r, acct[1] == '1' and 1 or 0, acct[2] or '', acct[3] or ''}
        """;

    /// <summary>
    /// KEYS: acct, bucket, open. ARGV: prefix, bucket, now. Reads without writing; reservations overdue
    /// at now count as spent. Returns {spent, reserved, killed, reason, killed_at}.
    /// </summary>
    public const string Read = Helpers + """

        local s, r = bucket(KEYS[2])
        local overdue = 0
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])) do
          local rv = redis.call('HMGET', ARGV[1] .. ':r:' .. id, 'bucket', 'cents', 'state')
          if rv[3] == 'open' and rv[1] == ARGV[2] then
            overdue = overdue + num(rv[2])
          end
        end
        local acct = redis.call('HMGET', KEYS[1], 'killed', 'reason', 'killed_at')
        return {s + overdue, r - overdue, acct[1] == '1' and 1 or 0, acct[2] or '', acct[3] or ''}
        """;

    /// <summary>
    /// KEYS: acct. ARGV: limit, window, calendar ('' for none), tz ('' for none), now. Gives the account
    /// these terms unless it has a limit already. Returns 1 when it did.
    /// </summary>
    public const string CreateAccount = """
        if redis.call('HEXISTS', KEYS[1], 'limit') == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'window', ARGV[2], 'updated', ARGV[5])
        if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'calendar', ARGV[3]) else redis.call('HDEL', KEYS[1], 'calendar') end
        if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'tz', ARGV[4]) else redis.call('HDEL', KEYS[1], 'tz') end
        return 1
        """;

    /// <summary>
    /// KEYS: acct. ARGV: as <see cref="CreateAccount"/>. Replaces the terms; returns the ones before as
    /// {limit, window, calendar, tz} (false where absent).
    /// </summary>
    public const string SetTerms = """
        local before = redis.call('HMGET', KEYS[1], 'limit', 'window', 'calendar', 'tz')
        redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'window', ARGV[2], 'updated', ARGV[5])
        if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'calendar', ARGV[3]) else redis.call('HDEL', KEYS[1], 'calendar') end
        if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'tz', ARGV[4]) else redis.call('HDEL', KEYS[1], 'tz') end
        return before
        """;

    /// <summary>
    /// KEYS: acct. ARGV: engage (1 or 0), reason, now, channel. Sets the switch and publishes the change
    /// on the channel. Returns 1 when that changed it.
    /// </summary>
    public const string SetKillSwitch = """
        local was = redis.call('HGET', KEYS[1], 'killed') == '1'
        if ARGV[1] == '1' then
          if was then
            redis.call('HSET', KEYS[1], 'reason', ARGV[2])
          else
            redis.call('HSET', KEYS[1], 'killed', '1', 'reason', ARGV[2], 'killed_at', ARGV[3])
          end
          redis.call('PUBLISH', ARGV[4], 'kill')
          return was and 0 or 1
        end
        if was then
          redis.call('HSET', KEYS[1], 'killed', '0')
          redis.call('HDEL', KEYS[1], 'reason', 'killed_at')
        end
        redis.call('PUBLISH', ARGV[4], 'resume')
        return was and 1 or 0
        """;
}
