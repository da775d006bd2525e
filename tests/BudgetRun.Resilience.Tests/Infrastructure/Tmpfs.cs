using System.Diagnostics;
using System.Globalization;
using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// A tiny tmpfs of the test's own (root only: <c>mount -t tmpfs -o size=N</c>), for a file system
/// that is full (<see cref="Fill"/>) or read-only (<see cref="RemountReadOnly"/>). Unmounted and
/// removed on dispose.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private readonly string _filler;

    private Tmpfs(string path)
    {
        Path = path;
        _filler = System.IO.Path.Combine(path, ".filler");
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public static Tmpfs Mount(int kibibytes)
    {
        var path = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "budget-run-tests", "tmpfs-" + Guid.NewGuid().ToString("N"))).FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", string.Create(CultureInfo.InvariantCulture, $"size={kibibytes}k,mode=0755"), "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            throw new XunitException($"cannot mount a tmpfs at {path}: {output}");
        }
        return new Tmpfs(path);
    }

    /// <summary>Writes a filler file until the file system has no free block left.</summary>
    public void Fill()
    {
        using var stream = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1);
        var block = new byte[512];
        try
        {
            while (true)
            {
                stream.Write(block);
                stream.Flush();
            }
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
        var (_, free) = Run("stat", "-f", "-c", "%a", Path);
        if (free.Trim() != "0")
        {
            throw new XunitException($"the tmpfs at {Path} still has {free.Trim()} free blocks");
        }
    }

    /// <summary>Deletes the filler: the space is free again.</summary>
    public void Free() => System.IO.File.Delete(_filler);

    public void RemountReadOnly() => Remount("ro");

    public void RemountWritable() => Remount("rw");

    public void Dispose()
    {
        if (Run("umount", Path).Code != 0)
        {
            Run("umount", "-l", Path);
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp folder.
        }
    }

    private void Remount(string mode)
    {
        var (code, output) = Run("mount", "-o", "remount," + mode, Path);
        if (code != 0)
        {
            throw new XunitException($"cannot remount {Path} {mode}: {output}");
        }
    }

    private static (int Code, string Output) Run(string program, params string[] arguments)
    {
        using var process = Process.Start(ProcessStart.Info(program, arguments, redirectStdin: false))!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
