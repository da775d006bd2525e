using BudgetRun.Ledgers.Locations;

namespace BudgetRun.Ledgers.Tests.Locations;

public sealed class LedgerUriParserTests
{
    private static readonly Dictionary<string, string> _environment = new()
    {
        ["HOME"] = "/home/ops",
        [LedgerUriParser.PasswordVariable] = "s3cret-pass",
    };

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("sqlite:")]
    public void NothingGiven_IsTheDefaultSqliteFileUnderXdgStateHome(string? text)
    {
        var location = Parse(text, ("XDG_STATE_HOME", "/var/state"));

        Assert.Equal("/var/state/budget-run/ledger.db", Assert.IsType<SqliteLedgerLocation>(location).Path);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("relative/state")] // the XDG spec says to ignore a relative value
    public void WithoutAnAbsoluteXdgStateHome_TheDefaultIsUnderHome(string? stateHome)
    {
        var location = Parse(null, ("XDG_STATE_HOME", stateHome));

        Assert.Equal("/home/ops/.local/state/budget-run/ledger.db", Assert.IsType<SqliteLedgerLocation>(location).Path);
        Assert.Equal("sqlite:/home/ops/.local/state/budget-run/ledger.db", location.DisplayName);
    }

    [Theory]
    [InlineData("sqlite:/var/lib/budget-run/ledger.db", "/var/lib/budget-run/ledger.db")]
    [InlineData("sqlite:///var/lib/budget-run/ledger.db", "/var/lib/budget-run/ledger.db")]
    [InlineData("SQLITE:/var/lib/x.db", "/var/lib/x.db")]
    [InlineData("sqlite:~/ledger.db", "/home/ops/ledger.db")]
    public void SqliteUris_NameAFile(string text, string path) =>
        Assert.Equal(path, Assert.IsType<SqliteLedgerLocation>(Parse(text)).Path);

    [Fact]
    public void RelativeSqlitePath_IsResolvedAgainstTheWorkingDirectory() =>
        Assert.Equal(Path.GetFullPath("state/ledger.db"), Assert.IsType<SqliteLedgerLocation>(Parse("sqlite:state/ledger.db")).Path);

    [Theory]
    [InlineData("redis://cache.internal:6380/2", "cache.internal", 6380, 2, false)]
    [InlineData("redis://cache.internal", "cache.internal", 6379, 0, false)]
    [InlineData("redis://10.1.2.3:7000/", "10.1.2.3", 7000, 0, false)]
    [InlineData("rediss://cache.internal:6380/1", "cache.internal", 6380, 1, true)]
    [InlineData("redis://[::1]:6379/3", "::1", 6379, 3, false)]
    public void RedisUris_NameServerPortDatabaseAndTls(string text, string host, int port, int database, bool tls)
    {
        var location = Assert.IsType<RedisLedgerLocation>(Parse(text));

        Assert.Equal((host, port, database, tls), (location.Host, location.Port, location.Database, location.UseTls));
    }

    [Theory]
    [InlineData("redis://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002/0", "10.0.0.1:7000 10.0.0.2:7001 10.0.0.3:7002", 0, false)]
    [InlineData("redis://a.internal,b.internal:7001", "a.internal:6379 b.internal:7001", 0, false)]
    [InlineData("rediss://[::1]:7000,[fe80::2]:7001/", "[::1]:7000 [fe80::2]:7001", 0, true)]
    [InlineData("redis://a:7000,b:7000/2", "a:7000 b:7000", 2, false)] // the cluster itself refuses a database other than 0
    public void RedisSeedLists_NameEveryEndpoint_InOrder(string text, string endpoints, int database, bool tls)
    {
        var location = Assert.IsType<RedisLedgerLocation>(Parse(text));

        Assert.Equal((endpoints, database, tls), (string.Join(' ', location.Endpoints), location.Database, location.UseTls));
    }

    [Fact]
    public void RedisSeedList_ShowsEveryEndpoint_AndNoPassword()
    {
        var location = Parse("rediss://a.internal:7000,[::1]:7001");

        Assert.Equal("rediss://a.internal:7000,[::1]:7001/0", location.DisplayName);
        Assert.DoesNotContain("s3cret-pass", location.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis://a:7000,,b:7001", "--ledger 'redis://a:7000,,b:7001': endpoint 2 of the seed list is empty; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,", "--ledger 'redis://a:7000,': endpoint 2 of the seed list is empty; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,b:70000", "--ledger 'redis://a:7000,b:70000': the port of 'b:70000' is not a number from 1 to 65535; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,b:x/0", "--ledger 'redis://a:7000,b:x/0': the port of 'b:x' is not a number from 1 to 65535; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,b:0", "--ledger 'redis://a:7000,b:0': the port of 'b:0' is not a number from 1 to 65535; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,A:7000", "--ledger 'redis://a:7000,A:7000': 'a:7000' is listed twice; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,b:7001/two", "--ledger 'redis://a:7000,b:7001/two': the database 'two' is not a number; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,b:7001?x=1", "--ledger 'redis://a:7000,b:7001?x=1': options after '?' or '#' are not supported; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    [InlineData("redis://a:7000,:pw@b:7001", "--ledger 'redis://***@b:7001': credentials do not belong in the URI: put the password in BUDGET_RUN_REDIS_PASSWORD")]
    [InlineData("redis://a:7000,b c:7001", "--ledger 'redis://a:7000,b c:7001': not a valid Redis URI; expected redis://HOST:PORT,HOST:PORT[,...][/DB]")]
    public void BadSeedLists_AreOneLineUsageErrors(string text, string message)
    {
        var error = Assert.Throws<LedgerUriException>(() => Parse(text));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,10.0.0.3/ledger/2", "10.0.0.1:26379 10.0.0.2:26380 10.0.0.3:26379", "ledger", 2, false)]
    [InlineData("redis+sentinel://sentinel.internal/ledger", "sentinel.internal:26379", "ledger", 0, false)]
    [InlineData("REDIS+SENTINEL://[::1]:5000,[fe80::2]/my-master_1.a/", "[::1]:5000 [fe80::2]:26379", "my-master_1.a", 0, false)]
    [InlineData("rediss+sentinel://a.internal:26379,b.internal:26379/ledger/0/", "a.internal:26379 b.internal:26379", "ledger", 0, true)]
    public void SentinelUris_NameTheSentinelsTheServiceAndTheDatabase(string text, string sentinels, string service, int database, bool tls)
    {
        var location = Assert.IsType<RedisLedgerLocation>(Parse(text));

        Assert.Equal((sentinels, service, database, tls, true),
            (string.Join(' ', location.Endpoints), location.ServiceName, location.Database, location.UseTls, location.UsesSentinel));
    }

    [Fact]
    public void SentinelUri_ShowsEverySentinelAndTheService_AndNoPassword()
    {
        var location = Assert.IsType<RedisLedgerLocation>(Parse("redis+sentinel://a.internal,[::1]:26380/ledger"));

        Assert.Equal("redis+sentinel://a.internal:26379,[::1]:26380/ledger/0", location.DisplayName);
        Assert.Equal("s3cret-pass", location.Password);
        Assert.DoesNotContain("s3cret-pass", location.ToString(), StringComparison.Ordinal);
        Assert.False(Assert.IsType<RedisLedgerLocation>(Parse("redis://h")).UsesSentinel);
    }

    [Theory]
    [InlineData("redis+sentinel://a:26379", "--ledger 'redis+sentinel://a:26379': no service: name the primary as the sentinels know it (sentinel monitor NAME ...); expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a:26379/", "--ledger 'redis+sentinel://a:26379/': no service: name the primary as the sentinels know it (sentinel monitor NAME ...); expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel:///ledger", "--ledger 'redis+sentinel:///ledger': no sentinel; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a:26379,,b/ledger", "--ledger 'redis+sentinel://a:26379,,b/ledger': sentinel 2 of the list is empty; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://,/ledger", "--ledger 'redis+sentinel://,/ledger': sentinel 1 of the list is empty; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a:263790/ledger", "--ledger 'redis+sentinel://a:263790/ledger': the port of 'a:263790' is not a number from 1 to 65535; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("rediss+sentinel://a:x/ledger", "--ledger 'rediss+sentinel://a:x/ledger': the port of 'a:x' is not a number from 1 to 65535; expected rediss+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a,A:26379/ledger", "--ledger 'redis+sentinel://a,A:26379/ledger': 'a:26379' is listed twice; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a/ledger/two", "--ledger 'redis+sentinel://a/ledger/two': the database 'two' is not a number; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a/ledger/0/x", "--ledger 'redis+sentinel://a/ledger/0/x': too many path segments; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a/led%20ger", "--ledger 'redis+sentinel://a/led%20ger': the service 'led%20ger' holds characters a Sentinel service name cannot have (letters, digits, '.', '_', '-'); expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a/ledger?db=1", "--ledger 'redis+sentinel://a/ledger?db=1': options after '?' or '#' are not supported; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://:hunter2@a:26379/ledger", "--ledger 'redis+sentinel://***@a:26379/ledger': credentials do not belong in the URI: put the password in BUDGET_RUN_REDIS_PASSWORD")]
    [InlineData("redis+sentinel://a,user:hunter2@b/ledger", "--ledger 'redis+sentinel://***@b/ledger': credentials do not belong in the URI: put the password in BUDGET_RUN_REDIS_PASSWORD")]
    [InlineData("redis+sentinel:a:26379/ledger", "--ledger 'redis+sentinel:a:26379/ledger': not a valid Redis Sentinel URI; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    [InlineData("redis+sentinel://a b/ledger", "--ledger 'redis+sentinel://a b/ledger': not a valid Redis URI; expected redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]")]
    public void BadSentinelUris_AreOneLineUsageErrors(string text, string message)
    {
        var error = Assert.Throws<LedgerUriException>(() => Parse(text));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void RedisPassword_ComesFromTheEnvironment_AndNeverShows()
    {
        var location = Assert.IsType<RedisLedgerLocation>(Parse("rediss://cache.internal:6380/1"));

        Assert.Equal("s3cret-pass", location.Password);
        Assert.Equal("rediss://cache.internal:6380/1", location.DisplayName);
        Assert.Equal("rediss://cache.internal:6380/1", location.ToString());
        Assert.Null(Assert.IsType<RedisLedgerLocation>(Parse("redis://h", (LedgerUriParser.PasswordVariable, "")))!.Password);
    }

    [Theory]
    [InlineData("postgres://ops@db.internal:5433/ledger?sslmode=verify-full", "db.internal", 5433, "ledger", "ops", "verify-full")]
    [InlineData("postgresql://db.internal/ledger", "db.internal", 5432, "ledger", "pg-env-user", "prefer")]
    [InlineData("POSTGRES://10.1.2.3/budget%20db?sslmode=disable", "10.1.2.3", 5432, "budget db", "pg-env-user", "disable")]
    [InlineData("postgres://[::1]:6543/ledger?sslmode=require", "::1", 6543, "ledger", "pg-env-user", "require")]
    public void PostgresUris_NameServerPortDatabaseUserAndSslMode(string text, string host, int port, string database, string user, string sslMode)
    {
        var location = Assert.IsType<PostgresLedgerLocation>(Parse(text, (LedgerUriParser.PostgresUserVariable, "pg-env-user")));

        Assert.Equal((host, port, database, user, sslMode), (location.Host, location.Port, location.Database, location.User, location.SslMode));
    }

    [Fact]
    public void PostgresPassword_ComesFromPgPassword_ElseThePassFile_AndNeverShows()
    {
        var fromVariable = Assert.IsType<PostgresLedgerLocation>(Parse("postgres://ops@db.internal/ledger?sslmode=require",
            (LedgerUriParser.PostgresPasswordVariable, "pg-s3cret")));
        var fromFile = Assert.IsType<PostgresLedgerLocation>(Parse("postgres://ops@db.internal/ledger"));
        var namedFile = Assert.IsType<PostgresLedgerLocation>(Parse("postgres://ops@db.internal/ledger",
            (LedgerUriParser.PostgresPassFileVariable, "/run/secrets/pgpass")));

        Assert.Equal("pg-s3cret", fromVariable.Password);
        Assert.Equal("postgres://ops@db.internal:5432/ledger?sslmode=require", fromVariable.DisplayName);
        Assert.DoesNotContain("s3cret", fromVariable.ToString(), StringComparison.Ordinal);
        Assert.Equal((null, "/home/ops/.pgpass"), (fromFile.Password, fromFile.PassFile));
        Assert.Equal("postgres://ops@db.internal:5432/ledger", fromFile.DisplayName);
        Assert.Equal("/run/secrets/pgpass", namedFile.PassFile);
    }

    [Theory]
    [InlineData("mysql://db/ledger", "--ledger 'mysql://db/ledger': unknown ledger scheme 'mysql'; use sqlite:PATH, redis://HOST:PORT[/DB], rediss://HOST:PORT[/DB], redis+sentinel://HOST:PORT[,...]/SERVICE[/DB] or postgres://[USER@]HOST[:PORT]/DB")]
    [InlineData("/var/lib/ledger.db", "--ledger '/var/lib/ledger.db': no ledger scheme; use sqlite:PATH, redis://HOST:PORT[/DB], rediss://HOST:PORT[/DB], redis+sentinel://HOST:PORT[,...]/SERVICE[/DB] or postgres://[USER@]HOST[:PORT]/DB (for a file, write sqlite:/var/lib/ledger.db)")]
    [InlineData("redis:cache:6379", "--ledger 'redis:cache:6379': not a valid Redis URI; expected redis://HOST:PORT[/DB]")]
    [InlineData("redis://cache:99999", "--ledger 'redis://cache:99999': not a valid Redis URI; expected redis://HOST:PORT[/DB]")]
    [InlineData("redis://cache:6379/two", "--ledger 'redis://cache:6379/two': the database 'two' is not a number; expected redis://HOST:PORT[/DB]")]
    [InlineData("rediss://cache:6379/0?ssl=true", "--ledger 'rediss://cache:6379/0?ssl=true': options after '?' or '#' are not supported; expected rediss://HOST:PORT[/DB]")]
    [InlineData("redis://:hunter2@cache:6379", "--ledger 'redis://***@cache:6379': credentials do not belong in the URI: put the password in BUDGET_RUN_REDIS_PASSWORD")]
    [InlineData("postgres://ops:hunter2@db.internal/ledger", "--ledger 'postgres://***@db.internal/ledger': credentials do not belong in the URI: put the password in PGPASSWORD or a .pgpass file (PGPASSFILE)")]
    [InlineData("postgresql://:hunter2@db.internal/ledger", "--ledger 'postgresql://***@db.internal/ledger': credentials do not belong in the URI: put the password in PGPASSWORD or a .pgpass file (PGPASSFILE)")]
    [InlineData("postgres://db.internal", "--ledger 'postgres://db.internal': name one database; expected postgres://[USER@]HOST[:PORT]/DB[?sslmode=MODE]")]
    [InlineData("postgres:db.internal/ledger", "--ledger 'postgres:db.internal/ledger': not a valid PostgreSQL URI; expected postgres://[USER@]HOST[:PORT]/DB[?sslmode=MODE]")]
    [InlineData("postgres://db.internal/ledger?sslmode=on", "--ledger 'postgres://db.internal/ledger?sslmode=on': sslmode 'on' is not one of disable, allow, prefer, require, verify-ca, verify-full")]
    [InlineData("postgres://db.internal/ledger?password=x", "--ledger 'postgres://db.internal/ledger?password=x': the option 'password' is not supported; only ?sslmode= is (disable, allow, prefer, require, verify-ca, verify-full)")]
    [InlineData("sqlite://server/share/x.db", "--ledger 'sqlite://server/share/x.db': an SQLite ledger is a local file: write sqlite:/absolute/path or sqlite:relative/path")]
    [InlineData("sqlite:/var/lib/", "--ledger 'sqlite:/var/lib/': the path names a directory; name the database file, e.g. sqlite:/var/lib/budget-run/ledger.db")]
    public void BadValues_AreOneLineUsageErrors(string text, string message)
    {
        var error = Assert.Throws<LedgerUriException>(() => Parse(text));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Errors_NameTheSourceTheyCameFrom()
    {
        var error = Assert.Throws<LedgerUriException>(() => LedgerUriParser.Parse("mysql://x", _ => null, LedgerUriParser.LedgerVariable));

        Assert.StartsWith("BUDGET_RUN_LEDGER 'mysql://x': ", error.Message, StringComparison.Ordinal);
    }

    private static LedgerLocation Parse(string? text, params (string Name, string? Value)[] overrides)
    {
        var environment = new Dictionary<string, string?>(_environment.Select(p => KeyValuePair.Create(p.Key, (string?)p.Value)));
        foreach (var (name, value) in overrides)
        {
            environment[name] = value;
        }
        return LedgerUriParser.Parse(text, name => environment.GetValueOrDefault(name));
    }
}
