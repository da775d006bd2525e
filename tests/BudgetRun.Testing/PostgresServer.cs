using System.Globalization;
using System.Text;

namespace BudgetRun.Testing;

/// <summary>
/// A real PostgreSQL 15 (Debian's packages) on a free loopback port, owned by the test that started
/// it: a fresh cluster (<c>initdb</c>) in a scratch directory, stopped and deleted on dispose. Its
/// superuser <see cref="User"/> logs in with <see cref="Password"/> (SCRAM, never trust), so the
/// password paths are the real ones. PostgreSQL refuses to run as root, and the tests run as root:
/// then the cluster belongs to an unprivileged system user (<see cref="ServiceUser"/>, created when
/// missing) and every server program runs as that user through <c>setpriv</c>. It can be stopped
/// the way a crash stops it (<c>pg_ctl stop -m immediate</c>: no checkpoint, recovery at the next
/// start) and started again on the same port with its data.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>The unprivileged owner of the clusters when the tests run as root.</summary>
    public const string ServiceUser = "budget-run-pg";

    public const string User = "budget";

    private static readonly Lock _userGate = new();

    private readonly Scratch _scratch = new();
    private bool _running;

    private PostgresServer(string password)
    {
        Password = password;
    }

    public int Port { get; private set; }

    public string Password { get; }

    /// <summary>The database every server has (<c>initdb</c> makes it); tests make others with <c>CREATE DATABASE</c>.</summary>
    public const string Database = "postgres";

    /// <summary>The <c>--ledger</c> value that names this server's <see cref="Database"/> (the password is not in it).</summary>
    public string Uri => UriOf(Database);

    /// <summary>The data directory (for a test that wants to read the server's log).</summary>
    public string DataDirectory => _scratch.Path("data");

    public string LogFile => _scratch.Path("postgres.log");

    public string UriOf(string database) => string.Create(CultureInfo.InvariantCulture, $"postgres://{User}@127.0.0.1:{Port}/{database}");

    /// <summary>A <c>.pgpass</c> line for this server (host, port, any database, the user, the password).</summary>
    public string PassFileLine => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}:*:{User}:{Password}");

    /// <summary>Writes a <c>.pgpass</c> file (mode 0600, as libpq wants it) for this server; returns its path.</summary>
    public string WritePassFile()
    {
        var path = _scratch.Write("pgpass", PassFileLine + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Makes a cluster and starts it; the superuser's password is <paramref name="password"/> (a random one when null).</summary>
    public static async Task<PostgresServer> StartAsync(string? password = null)
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")))
        {
            throw new InvalidOperationException($"{BinDirectory}/initdb is missing: run eng/install-deps.sh (Debian package postgresql)");
        }
        var server = new PostgresServer(password ?? "pw-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await server.InitializeAsync();
            await server.StartWithFreePortAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>An immediate shutdown: every connection is cut at once and nothing is checkpointed, as in a crash.</summary>
    public void Stop()
    {
        if (_running)
        {
            _running = false;
            RunAsServiceUser("pg_ctl", "stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30");
        }
    }

    /// <summary>Starts it again on the same port, with its data (crash recovery first, after <see cref="Stop"/>).</summary>
    public async Task RestartAsync()
    {
        Stop();
        await Task.Run(() => StartOnPort(throwOnFailure: true));
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Stop();
        }
        finally
        {
            _scratch.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private async Task InitializeAsync()
    {
        var passwordFile = _scratch.Write("password", Password + "\n");
        if (IsRoot)
        {
            EnsureServiceUser();
            Check(Shell.Run("chown", "-R", $"{ServiceUser}:{ServiceUser}", _scratch.Directory), "chown the scratch directory");
        }
        await Task.Run(() => RunAsServiceUser("initdb", "-D", DataDirectory, "-U", User, "--pwfile", passwordFile,
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--no-locale", "--encoding=UTF8", "--no-sync"));
        File.Delete(passwordFile);
    }

    /// <summary>A port another process takes between the probe and the bind makes the start fail: then another one is tried.</summary>
    private async Task StartWithFreePortAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            Port = Ports.FreeLoopback();
            if (await Task.Run(() => StartOnPort(throwOnFailure: attempt == 3)))
            {
                return;
            }
        }
    }

    private bool StartOnPort(bool throwOnFailure)
    {
        // fsync off: a test's "crash" kills processes, not the machine, so the OS cache keeps every commit.
        var options = string.Create(CultureInfo.InvariantCulture,
            $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_scratch.Directory} -c fsync=off -c max_connections=200");
        var (code, output) = RunAsServiceUserRaw("pg_ctl", "start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "30", "-o", options);
        if (code == 0)
        {
            _running = true;
            return true;
        }
        // A failed start may leave a postmaster that never got ready: make sure nothing runs.
        RunAsServiceUserRaw("pg_ctl", "stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "10");
        if (throwOnFailure)
        {
            var log = File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
            throw new InvalidOperationException($"postgres did not start on port {Port}: {output}\n{log}");
        }
        return false;
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static void EnsureServiceUser()
    {
        lock (_userGate)
        {
            if (Shell.Run("id", "-u", ServiceUser) == 0)
            {
                return;
            }
            var code = Shell.Run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ServiceUser);
            // 9: another test process created it meanwhile.
            if (code is not (0 or 9))
            {
                throw new InvalidOperationException($"useradd {ServiceUser} exited {code}");
            }
        }
    }

    private void RunAsServiceUser(string program, params string[] arguments)
    {
        var (code, output) = RunAsServiceUserRaw(program, arguments);
        Check(code, $"{program} {string.Join(' ', arguments)}: {output}");
    }

    private (int Code, string Output) RunAsServiceUserRaw(string program, params string[] arguments)
    {
        var executable = Path.Combine(BinDirectory, program);
        string[] command = IsRoot
            ? ["setpriv", $"--reuid={ServiceUser}", $"--regid={ServiceUser}", "--init-groups", "--", executable, .. arguments]
            : [executable, .. arguments];
        // The server inherits no PG* variables of the test process (a PGPASSFILE set for the clients).
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("PG", StringComparison.Ordinal))
            .Select(name => new KeyValuePair<string, string?>(name, null))
            .Append(new("LC_ALL", "C"));
        using var process = System.Diagnostics.Process.Start(ProcessStart.Info(command[0], command[1..], environment, redirectStdin: false))!;
        var output = new StringBuilder();
        // pg_ctl start leaves the postmaster holding inherited pipes only when -l is missing; -l is always given.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        output.Append(stdout.Result).Append(stderr.Result);
        return (process.ExitCode, output.ToString().Trim());
    }

    private static void Check(int code, string what)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{what} failed (exit {code})");
        }
    }
}
