namespace BudgetRun.Ledgers.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisStore"/>. Redis runs a script atomically, so each reservation,
/// settle and expiry is one step that no other replica can interleave with, over every level of an
/// account path. Every key of a tree shares the hash tag of its root segment, so the scripts' keys
/// live in one slot (Redis Cluster too). A level's prefix is <c>budget-run:{ROOT}REST</c>
/// (<c>budget-run:{acme}</c>, <c>budget-run:{acme}/support</c>); under it: <c>:acct</c> (hash: limit,
/// window (fixed seconds, 0: none), calendar (day, week, month; absent for the others), tz, tv (the
/// terms' version), updated, killed, reason, killed_at; the previous releases wrote limit and window
/// only, which read as a fixed window of version 0), <c>:b:BUCKET</c> (hash: spent, reserved),
/// <c>:open</c> (sorted set by expiry of the open reservations holding cents on the level: the
/// reservation's key, or, as the previous releases wrote it, its bare id under the level's own
/// prefix), <c>:r:ID</c> (hash: one reservation of the level's account, the run that made it, and
/// <c>lv</c>: the bucket and open keys it holds cents on, tab-separated; a reservation of the
/// previous releases has only its <c>bucket</c> on its own account), <c>:op:ID</c> (a reported spend, once),
/// <c>:h</c> (stream: the level's history; the entry id is the server's clock).
/// Every key a script touches is one of its KEYS (servers that enforce declared keys, proxies). A
/// key known only to the server (an overdue reservation, the levels it holds cents on) is asked
/// for: the script changes nothing and answers which reservations it needs, the client reads
/// their <c>lv</c> and calls again with those keys declared (<see cref="RedisHoldings"/>).
/// </summary>
internal static class RedisScripts
{
    private const string Helpers = """
        local declared = {}
        for _, k in ipairs(KEYS) do declared[k] = true end
        local function num(v) return tonumber(v) or 0 end
        local function bucket(key)
          local b = redis.call('HMGET', key, 'spent', 'reserved')
          return num(b[1]), num(b[2])
        end
        local function split(text)
          local parts = {}
          for part in string.gmatch(text, '[^\t]+') do parts[#parts + 1] = part end
          return parts
        end
        -- An open-set member's reservation key: the key itself, or a previous release's bare id.
        local function reservationof(member, prefix)
          if string.sub(member, 1, 11) ~= 'budget-run:' then return prefix .. ':r:' .. member end
          return member
        end
        -- The reservation key of an open-set member, and the {bucket key, open key} pairs it holds cents on.
        local function holding(member, prefix, open)
          local rk = reservationof(member, prefix)
          local rv = redis.call('HMGET', rk, 'lv', 'bucket', 'cents', 'state')
          local pairs_ = {}
          if rv[1] then
            local parts = split(rv[1])
            for i = 1, #parts, 2 do pairs_[#pairs_ + 1] = {parts[i], parts[i + 1]} end
          elseif rv[2] then
            pairs_[1] = {prefix .. ':b:' .. rv[2], open}
          end
          return rk, pairs_, num(rv[3]), rv[4]
        end
        -- A level's account key from its prefix: budget-run:{acme}/support -> acme/support.
        local function keyof(prefix)
          return (string.gsub(string.sub(prefix, 13), '}', '', 1))
        end
        local function prefixof(open) return string.sub(open, 1, #open - 5) end
        local asked = {}
        -- Adds {reservation key, open} to need (once: a reservation may be in several levels' open sets)
        -- unless the reservation is declared and, when deep (the script may finish or expire it), the
        -- bucket, open set and history of every level it holds cents on.
        local function needs(member, prefix, open, need, deep)
          local rk = reservationof(member, prefix)
          if declared[rk] then
            if not deep then return end
            local _, held = holding(member, prefix, open)
            local all = true
            for _, h in ipairs(held) do
              all = all and declared[h[1]] and declared[h[2]] and declared[prefixof(h[2]) .. ':h']
            end
            if all then return end
          end
          if asked[rk] then return end
          asked[rk] = true
          need[#need + 1] = rk
          need[#need + 1] = open
        end
        -- One history entry on a level's stream, stamped by the server's clock (the stream id); entries
        -- older than the retention go in bounded batches (MINID ~). Fields: kind, account, bucket,
        -- spent and reserved deltas, reservation, origin, run, host, pid, user, detail.
        -- The server's clock in Unix milliseconds: it decides windows and expiry for every client.
        local function servertime()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function hist(prefix, retention, kind, b, sd, rd, res, origin, run, host, pid, user, detail)
          local now = servertime()
          local key = keyof(prefix)
          if origin == key then origin = '' end
          redis.call('XADD', prefix .. ':h', 'MINID', '~', math.max(0, now - tonumber(retention)), '*',
            'k', kind, 'a', key, 'b', b or '', 'sd', sd, 'rd', rd, 'res', res or '', 'o', origin or '',
            'run', run or '', 'host', host or '', 'pid', pid or '', 'user', user or '', 'd', detail or '')
        end
        -- Overdue reservations on a level become spent in full, on every level they hold cents on.
        local function expire(prefix, open, now, retention, hretention)
          for _, member in ipairs(redis.call('ZRANGEBYSCORE', open, '-inf', now)) do
            local rk, held, cents, state = holding(member, prefix, open)
            if state == 'open' then
              local r = redis.call('HMGET', rk, 'run', 'pid', 'host', 'acct')
              local id = string.match(rk, ':r:([^:]*)$')
              for _, h in ipairs(held) do
                redis.call('HINCRBY', h[1], 'reserved', 0 - cents) -- never the unary minus: Lua's -0 reaches Redis as "-0", which HINCRBY rejects
                redis.call('HINCRBY', h[1], 'spent', cents)
                redis.call('ZREM', h[2], member)
                local lp = prefixof(h[2])
                hist(lp, hretention, 'expire', string.sub(h[1], #lp + 4), cents, 0 - cents, id, r[4] or keyof(prefix), r[1], r[3], r[2], '', '')
              end
              redis.call('HSET', rk, 'state', 'expired')
              redis.call('PEXPIRE', rk, retention)
            end
            redis.call('ZREM', open, member)
          end
        end
        local function killswitch(acct)
          local a = redis.call('HMGET', acct, 'killed', 'reason', 'killed_at')
          return a[1] == '1', a[2] or '', a[3] or ''
        end
        -- Appends one level's answer: spent, reserved, killed, reason, killed_at.
        local function push_level(out, s, r, acct)
          local killed, reason, at = killswitch(acct)
          out[#out + 1] = s
          out[#out + 1] = r
          out[#out + 1] = killed and 1 or 0
          out[#out + 1] = reason
          out[#out + 1] = at
        end
        """;

    /// <summary>
    /// KEYS: reservation, then per level (root first, the run's account last): acct, bucket (the acct
    /// key again for a level without one), open, history; then the keys that expiring overdue
    /// reservations needs (from an answer 5). ARGV: levels, id, cents, the client's now ('' in
    /// production: the server's clock decides; set by tests that move time), time to live, run, pid, host, retention, then the run's terms
    /// (limit, window, calendar, tz: written only when its account has no terms stored, it was lost),
    /// user, history retention, the run's account, then per level: prefix, bucket ('' for none),
    /// terms version, the window's start and end on the server's clock (Unix ms). Returns {status,
    /// decider, the server's now, then per level: spent, reserved, killed, reason, killed_at} where
    /// status is 1 reserved, 0 insufficient, 2 killed, 3 stale, 4 outside a level's window; or
    /// {5, -1, now, then per overdue reservation whose keys are not declared: its key, the open set
    /// it was found in}, having changed nothing.
    /// </summary>
    public const string Reserve = Helpers + """

        local n = tonumber(ARGV[1])
        local now = ARGV[4] ~= '' and tonumber(ARGV[4]) or servertime()
        local function level(i)
          local k = 1 + (i - 1) * 4
          local a = 16 + (i - 1) * 5
          return KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
        end
        local function answer(status, decider)
          local out = {status, decider, now}
          for i = 1, n do
            local acct, bk, _, _, b = level(i)
            local s, r = 0, 0
            if b ~= '' then s, r = bucket(bk) end
            push_level(out, s, r, acct)
          end
          return out
        end
        for i = 1, n do
          local acct = level(i)
          if killswitch(acct) then return answer(2, i - 1) end
        end
        if redis.call('EXISTS', KEYS[1]) == 1 then return answer(1, -1) end
        local need = {}
        for i = 1, n do
          local _, _, open, prefix = level(i)
          for _, member in ipairs(redis.call('ZRANGEBYSCORE', open, '-inf', now)) do needs(member, prefix, open, need, true) end
        end
        if #need > 0 then
          local out = {5, -1, now}
          for _, k in ipairs(need) do out[#out + 1] = k end
          return out
        end
        local limits = {}
        for i = 1, n do
          local acct, _, _, prefix, _, version = level(i)
          local t = redis.call('HMGET', acct, 'limit', 'tv')
          limits[i] = tonumber(t[1])
          if i == n and not limits[i] then
            -- The run's account is gone (a Redis without persistence restarted): the run creates it
            -- again, as it does a missing account at start, with the terms it opened it with.
            limits[i] = tonumber(ARGV[10])
            redis.call('HSET', acct, 'limit', ARGV[10], 'window', ARGV[11], 'tv', version, 'updated', now)
            if ARGV[12] ~= '' then redis.call('HSET', acct, 'calendar', ARGV[12]) end
            if ARGV[13] ~= '' then redis.call('HSET', acct, 'tz', ARGV[13]) end
            hist(prefix, ARGV[15], 'terms', '', 0, 0, '', ARGV[16], ARGV[6], ARGV[8], ARGV[7], ARGV[14], 'created again: the ledger had lost the account')
          elseif num(t[2]) ~= tonumber(version) then
            return {3, -1, now}
          end
        end
        for i = 1, n do
          local _, _, _, _, b, _, wstart, wend = level(i)
          if b ~= '' and (now < wstart or now >= wend) then return {4, -1, now} end
        end
        for i = 1, n do
          local _, _, open, prefix = level(i)
          expire(prefix, open, now, ARGV[9], ARGV[15])
        end
        local cents = tonumber(ARGV[3])
        local decider, tightest = -1, nil
        for i = 1, n do
          local _, bk, _, _, b = level(i)
          if limits[i] and b ~= '' then
            local s, r = bucket(bk)
            local remaining = limits[i] - s - r
            if cents > remaining and (not tightest or remaining < tightest) then
              decider, tightest = i - 1, remaining
            end
          end
        end
        if decider >= 0 then return answer(0, decider) end
        local held = {}
        local expires = now + tonumber(ARGV[5])
        for i = 1, n do
          local _, bk, open, prefix, b = level(i)
          if b ~= '' then
            redis.call('HINCRBY', bk, 'reserved', cents)
            redis.call('ZADD', open, expires, KEYS[1])
            held[#held + 1] = bk
            held[#held + 1] = open
            hist(prefix, ARGV[15], 'reserve', b, 0, cents, ARGV[2], ARGV[16], ARGV[6], ARGV[8], ARGV[7], ARGV[14], '')
          end
        end
        local _, _, _, _, leafBucket = level(n)
        redis.call('HSET', KEYS[1], 'bucket', leafBucket, 'cents', ARGV[3], 'state', 'open', 'created', now,
          'expires', expires, 'run', ARGV[6], 'pid', ARGV[7], 'host', ARGV[8], 'acct', ARGV[16], 'lv', table.concat(held, '\t'))
        return answer(1, -1)
        """;

    /// <summary>
    /// KEYS: reservation, open (the account's own), then the bucket, open and history keys of every
    /// level it holds cents on (<see cref="RedisHoldings"/>). ARGV: prefix, id, actual, nonce, now, retention,
    /// final state (settled or released), cancel (1: an unknown id is recorded as released, so a
    /// reservation with that id arriving later is a replay that reserves nothing), run, pid, host,
    /// user, history retention. Finishes it on every level it holds cents on. Returns 1 done (or a retry of the same call), -1 not found, -2
    /// already finished, -3 not
    /// done: the keys of a level it holds cents on were not all declared.
    /// </summary>
    public const string Finish = Helpers + """

        local rv = redis.call('HMGET', KEYS[1], 'state', 'nonce')
        if not rv[1] then
          if ARGV[8] == '1' then
            redis.call('HSET', KEYS[1], 'bucket', '', 'cents', 0, 'state', 'released', 'settled', 0, 'nonce', ARGV[4],
              'created', ARGV[5], 'expires', ARGV[5], 'ended', ARGV[5], 'run', '', 'pid', 0, 'host', '')
            redis.call('PEXPIRE', KEYS[1], ARGV[6])
          end
          return -1
        end
        if rv[1] == 'settled' or rv[1] == 'released' then
          if rv[2] == ARGV[4] then return 1 end
          return -2
        end
        local need = {}
        needs(KEYS[1], ARGV[1], KEYS[2], need, true)
        if #need > 0 then return -3 end
        local _, held, cents, state = holding(KEYS[1], ARGV[1], KEYS[2])
        local actual = tonumber(ARGV[3])
        local kind = ARGV[7] == 'settled' and 'settle' or 'release'
        local origin = redis.call('HGET', KEYS[1], 'acct') or keyof(ARGV[1])
        for _, h in ipairs(held) do
          local lp = prefixof(h[2])
          local b = string.sub(h[1], #lp + 4)
          if state == 'open' then
            redis.call('HINCRBY', h[1], 'reserved', 0 - cents)
            redis.call('HINCRBY', h[1], 'spent', actual)
            redis.call('ZREM', h[2], KEYS[1])
            redis.call('ZREM', h[2], ARGV[2])
            hist(lp, ARGV[13], kind, b, actual, 0 - cents, ARGV[2], origin, ARGV[9], ARGV[11], ARGV[10], ARGV[12], '')
          else
            redis.call('HINCRBY', h[1], 'spent', actual - cents)
            hist(lp, ARGV[13], kind, b, actual - cents, 0, ARGV[2], origin, ARGV[9], ARGV[11], ARGV[10], ARGV[12], '')
          end
        end
        redis.call('HSET', KEYS[1], 'state', ARGV[7], 'settled', ARGV[3], 'nonce', ARGV[4], 'ended', ARGV[5])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return 1
        """;

    /// <summary>
    /// KEYS: operation, then per level: acct, bucket (the acct key again for none), history. ARGV: levels, cents,
    /// how long to remember the operation, run, pid, host, user, history retention, the run's account,
    /// then per level: prefix, bucket ('' for none). Adds once per operation id (a retry after a lost
    /// answer does not add again). Returns per level {spent, reserved, killed, reason, killed_at}.
    /// </summary>
    public const string AddSpend = Helpers + """

        local n = tonumber(ARGV[1])
        local first = redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3])
        local out = {}
        for i = 1, n do
          local acct, bk = KEYS[2 + (i - 1) * 3], KEYS[3 + (i - 1) * 3]
          local prefix, b = ARGV[10 + (i - 1) * 2], ARGV[11 + (i - 1) * 2]
          local s, r = 0, 0
          if b ~= '' then
            if first then
              redis.call('HINCRBY', bk, 'spent', ARGV[2])
              hist(prefix, ARGV[8], 'spend', b, ARGV[2], 0, '', ARGV[9], ARGV[4], ARGV[6], ARGV[5], ARGV[7], '')
            end
            s, r = bucket(bk)
          end
          push_level(out, s, r, acct)
        end
        return out
        """;

    /// <summary>
    /// KEYS: per level: acct, bucket (the acct key again for none), open; then the keys of overdue
    /// reservations (from an answer 0). ARGV: levels, now, then per level: prefix, bucket ('' for
    /// none). Reads without writing; reservations overdue at now count as spent. Returns {1, then per
    /// level: spent, reserved, killed, reason, killed_at}, or {0, then per overdue reservation not
    /// declared: its key, the open set it was found in}.
    /// </summary>
    public const string Read = Helpers + """

        local n = tonumber(ARGV[1])
        local function level(i)
          return KEYS[1 + (i - 1) * 3], KEYS[2 + (i - 1) * 3], KEYS[3 + (i - 1) * 3], ARGV[3 + (i - 1) * 2], ARGV[4 + (i - 1) * 2]
        end
        local overdue = {}
        local need = {0}
        for i = 1, n do
          local _, _, open, prefix, b = level(i)
          overdue[i] = b ~= '' and redis.call('ZRANGEBYSCORE', open, '-inf', ARGV[2]) or {}
          for _, member in ipairs(overdue[i]) do needs(member, prefix, open, need, false) end
        end
        if #need > 1 then return need end
        local out = {1}
        for i = 1, n do
          local acct, bk, open, prefix, b = level(i)
          local s, r = 0, 0
          if b ~= '' then
            s, r = bucket(bk)
            local overdue_cents = 0
            for _, member in ipairs(overdue[i]) do
              local _, held, cents, state = holding(member, prefix, open)
              if state == 'open' then
                for _, h in ipairs(held) do
                  if h[1] == bk then overdue_cents = overdue_cents + cents end
                end
              end
            end
            s, r = s + overdue_cents, r - overdue_cents
          end
          push_level(out, s, r, acct)
        end
        return out
        """;

    /// <summary>KEYS: acct per level. Returns per level {limit, window, calendar, tz, tv, killed, reason, killed_at} (false where absent).</summary>
    public const string ReadLevels = """
        local out = {}
        for i = 1, #KEYS do
          local t = redis.call('HMGET', KEYS[i], 'limit', 'window', 'calendar', 'tz', 'tv', 'killed', 'reason', 'killed_at')
          for j = 1, 8 do out[#out + 1] = t[j] end
        end
        return out
        """;

    /// <summary>
    /// KEYS: the new acct, then each key of the account as <see cref="LegacyKeys"/> listed it and its
    /// new name (a one-time move on a single server). ARGV: the previous layout's prefix of an
    /// account whose key has levels, its prefix now. Moves every key of the account to the new prefix
    /// unless the new one has an account already. Returns how many keys moved, or -1 (nothing moved)
    /// when a key of the account was not declared: one written since the listing.
    /// </summary>
    public const string MoveLegacyAccount = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        local declared = {}
        for _, k in ipairs(KEYS) do declared[k] = true end
        local found = redis.call('KEYS', ARGV[1] .. ':*')
        for _, key in ipairs(found) do
          if not declared[key] or not declared[ARGV[2] .. string.sub(key, #ARGV[1] + 1)] then return -1 end
        end
        for _, key in ipairs(found) do redis.call('RENAME', key, ARGV[2] .. string.sub(key, #ARGV[1] + 1)) end
        return #found
        """;

    /// <summary>
    /// KEYS: the previous layout's acct key (it routes the script to its slot's node on a cluster).
    /// ARGV: that prefix. Returns the names of its keys (one slot, so all on that node).
    /// </summary>
    public const string LegacyKeys = """
        return redis.call('KEYS', ARGV[1] .. ':*')
        """;

    /// <summary>
    /// KEYS: acct, history. ARGV: limit, window, calendar ('' for none), tz ('' for none), now, prefix, the
    /// history's detail, run, pid, host, user, history retention. Gives the account
    /// these terms (one version up) unless it has a limit already. Returns 1 when it did.
    /// </summary>
    public const string CreateAccount = Helpers + """

        if redis.call('HEXISTS', KEYS[1], 'limit') == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'window', ARGV[2], 'updated', ARGV[5])
        redis.call('HINCRBY', KEYS[1], 'tv', 1)
        if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'calendar', ARGV[3]) else redis.call('HDEL', KEYS[1], 'calendar') end
        if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'tz', ARGV[4]) else redis.call('HDEL', KEYS[1], 'tz') end
        hist(ARGV[6], ARGV[12], 'terms', '', 0, 0, '', keyof(ARGV[6]), ARGV[8], ARGV[10], ARGV[9], ARGV[11], ARGV[7])
        return 1
        """;

    /// <summary>
    /// KEYS: acct, history. ARGV: as <see cref="CreateAccount"/>. Replaces the terms, one version up; returns the ones
    /// before as {limit, window, calendar, tz, tv} (false where absent).
    /// </summary>
    public const string SetTerms = Helpers + """

        local before = redis.call('HMGET', KEYS[1], 'limit', 'window', 'calendar', 'tz', 'tv')
        redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'window', ARGV[2], 'updated', ARGV[5])
        redis.call('HINCRBY', KEYS[1], 'tv', 1)
        if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'calendar', ARGV[3]) else redis.call('HDEL', KEYS[1], 'calendar') end
        if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'tz', ARGV[4]) else redis.call('HDEL', KEYS[1], 'tz') end
        hist(ARGV[6], ARGV[12], 'terms', '', 0, 0, '', keyof(ARGV[6]), ARGV[8], ARGV[10], ARGV[9], ARGV[11], ARGV[7])
        return before
        """;

    /// <summary>
    /// KEYS: acct, history. ARGV: engage (1 or 0), reason, now, channel, prefix, run, pid, host, user, history
    /// retention. Sets the switch and publishes the change on the channel. Returns 1 when that changed it.
    /// </summary>
    public const string SetKillSwitch = Helpers + """

        local was = redis.call('HGET', KEYS[1], 'killed') == '1'
        if ARGV[1] == '1' then
          if was then
            redis.call('HSET', KEYS[1], 'reason', ARGV[2])
          else
            redis.call('HSET', KEYS[1], 'killed', '1', 'reason', ARGV[2], 'killed_at', ARGV[3])
          end
          hist(ARGV[5], ARGV[10], 'kill', '', 0, 0, '', keyof(ARGV[5]), ARGV[6], ARGV[8], ARGV[7], ARGV[9], ARGV[2])
          redis.call('PUBLISH', ARGV[4], 'kill')
          return was and 0 or 1
        end
        if was then
          redis.call('HSET', KEYS[1], 'killed', '0')
          redis.call('HDEL', KEYS[1], 'reason', 'killed_at')
          hist(ARGV[5], ARGV[10], 'resume', '', 0, 0, '', keyof(ARGV[5]), ARGV[6], ARGV[8], ARGV[7], ARGV[9], '')
        end
        redis.call('PUBLISH', ARGV[4], 'resume')
        return was and 1 or 0
        """;
}
