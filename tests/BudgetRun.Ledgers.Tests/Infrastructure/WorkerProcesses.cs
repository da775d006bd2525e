using System.Diagnostics;
using System.Globalization;
using Xunit.Sdk;

namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>Runs this test assembly as other OS processes (<see cref="ReserveWorker"/>, <see cref="KillWatcher"/>) against one account.</summary>
internal static class WorkerProcesses
{
    /// <summary>Returns how many reservations each worker made (until refused, or for <paramref name="duration"/>); all start together.</summary>
    public static Task<int[]> RunAsync(string ledgerUri, string key, long limitCents, long cents, int workers, TimeSpan? duration = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsync(ledgerUri, Enumerable.Repeat(key, workers).ToArray(), limitCents, cents, duration, environment);

    /// <summary>
    /// One worker per key in <paramref name="keys"/> (the same key may appear several times), all started
    /// together, with <paramref name="environment"/> added to theirs.
    /// </summary>
    public static async Task<int[]> RunAsync(string ledgerUri, IReadOnlyList<string> keys, long limitCents, long cents, TimeSpan? duration = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var scratch = new Scratch();
        var goFile = scratch.Path("go");
        var workers = keys.Count;
        string[] Arguments(string key) =>
        [
            "reserve-worker", ledgerUri, key,
            limitCents.ToString(CultureInfo.InvariantCulture), cents.ToString(CultureInfo.InvariantCulture), goFile,
            .. duration is { } d ? [d.TotalSeconds.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>(),
        ];
        var processes = new List<Process>();
        try
        {
            for (var i = 0; i < workers; i++)
            {
                processes.Add(Start(Arguments(keys[i]), environment));
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            foreach (var process in processes)
            {
                await ExpectReadyAsync(process, timeout.Token);
            }
            await File.WriteAllTextAsync(goFile, "go", timeout.Token);
            var counts = new int[workers];
            for (var i = 0; i < workers; i++)
            {
                var output = await processes[i].StandardOutput.ReadToEndAsync(timeout.Token);
                var errors = await processes[i].StandardError.ReadToEndAsync(timeout.Token);
                await processes[i].WaitForExitAsync(timeout.Token);
                if (processes[i].ExitCode != 0 || !output.StartsWith("reserved ", StringComparison.Ordinal))
                {
                    throw new XunitException($"worker {i} exited {processes[i].ExitCode}: {output} {errors}");
                }
                counts[i] = int.Parse(output["reserved ".Length..].Trim(), CultureInfo.InvariantCulture);
            }
            return counts;
        }
        finally
        {
            foreach (var process in processes)
            {
                End(process);
            }
        }
    }

    /// <summary>
    /// Starts a <see cref="KillWatcher"/> process, runs <paramref name="kill"/> once it watches, and
    /// returns how long after the start of <paramref name="kill"/> that process saw the switch engaged.
    /// </summary>
    public static async Task<TimeSpan> MeasureKillPropagationAsync(string ledgerUri, string key, Func<Task> kill)
    {
        var process = Start(["kill-watcher", ledgerUri, key]);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ExpectReadyAsync(process, timeout.Token);
            var before = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
            await kill();
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null || !line.StartsWith("killed ", StringComparison.Ordinal))
            {
                throw new XunitException($"the watcher said '{line}': {await process.StandardError.ReadToEndAsync(timeout.Token)}");
            }
            await process.WaitForExitAsync(timeout.Token);
            return TimeSpan.FromMilliseconds(long.Parse(line["killed ".Length..], CultureInfo.InvariantCulture) - before);
        }
        finally
        {
            End(process);
        }
    }

    private static Process Start(string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = ProcessStart.Info(dotnet, [typeof(WorkerProcesses).Assembly.Location, .. arguments], redirectStdin: false);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        return Process.Start(start)!;
    }

    private static async Task ExpectReadyAsync(Process process, CancellationToken cancellationToken)
    {
        var line = await process.StandardOutput.ReadLineAsync(cancellationToken);
        if (line != "ready")
        {
            throw new XunitException($"a worker did not get ready: '{line}' {await process.StandardError.ReadToEndAsync(cancellationToken)}");
        }
    }

    private static void End(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }
        process.Dispose();
    }
}
