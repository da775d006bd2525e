namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>
/// Rewrites a ledger script so that every <c>redis.call</c> and <c>redis.pcall</c> first checks that
/// the key it names is one of the script's KEYS, and raises an error otherwise: what Dragonfly
/// enforces by default and Redis 7 never does (it cannot: scripts may not replace <c>redis.call</c>,
/// the table is read-only, so the check is put in by rewriting the text). Commands without a key
/// (TIME, KEYS, PUBLISH's channel) are not checked; RENAME's two keys both are.
/// </summary>
internal static class DeclaredKeysOnly
{
    private const string Check = """
        local strict_declared = {}
        for _, k in ipairs(KEYS) do strict_declared[k] = true end
        local strict_nokeys = {TIME = true, KEYS = true, PUBLISH = true}
        local function strict_check(command, ...)
          local name = string.upper(command)
          if strict_nokeys[name] then return end
          local args = {...}
          for i = 1, name == 'RENAME' and 2 or 1 do
            if not strict_declared[args[i]] then error('undeclared key ' .. tostring(args[i]) .. ' in ' .. name) end
          end
        end
        local function strict_call(command, ...) strict_check(command, ...) return redis.call(command, ...) end
        local function strict_pcall(command, ...) strict_check(command, ...) return redis.pcall(command, ...) end

        """;

    /// <summary>Set to 1 in a worker process's environment, its ledger runs every script checked (<see cref="ReserveWorker"/>).</summary>
    public const string Variable = "LEDGER_TESTS_DECLARED_KEYS_ONLY";

    /// <summary>The ledger options that run every script checked.</summary>
    public static LedgerOptions Options(LedgerOptions? options) => (options ?? LedgerOptions.Default) with { RewriteScript = Rewrite };

    public static string Rewrite(string script) =>
        Check + script.Replace("redis.call(", "strict_call(", StringComparison.Ordinal).Replace("redis.pcall(", "strict_pcall(", StringComparison.Ordinal);
}
