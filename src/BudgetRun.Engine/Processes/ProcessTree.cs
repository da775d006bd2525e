using System.Globalization;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// Reads the process tree from /proc. budget-run is a child subreaper, so every process its
/// attempts leave behind (in the child's group or escaped with setsid) stays its descendant.
/// </summary>
internal static class ProcessTree
{
    private static readonly bool _childrenFilesAvailable = File.Exists($"/proc/self/task/{Environment.ProcessId}/children");

    /// <summary>Live (not zombie) descendants of <paramref name="root"/>, any depth.</summary>
    public static List<int> LiveDescendants(int root)
    {
        if (root == Environment.ProcessId && !NativeMethods.HasChildren())
        {
            return []; // the usual case after an attempt: one syscall, no allocation, no /proc
        }
        return _childrenFilesAvailable ? LiveDescendantsFromChildrenFiles(root) : LiveDescendantsFromFullScan(root);
    }

    /// <summary>
    /// Walks down from <paramref name="root"/> through /proc/PID/task/TID/children: a few small reads
    /// per process of the tree instead of one per process on the machine, so the check after every
    /// attempt costs next to nothing when, as usual, nothing was left behind.
    /// </summary>
    private static List<int> LiveDescendantsFromChildrenFiles(int root)
    {
        var result = new List<int>();
        var seen = new HashSet<int> { root };
        var pending = new Stack<int>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var parent = pending.Pop();
            IEnumerable<string> tasks;
            try
            {
                tasks = Directory.EnumerateDirectories($"/proc/{parent}/task");
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var task in tasks)
            {
                string text;
                try
                {
                    text = File.ReadAllText(Path.Combine(task, "children"));
                }
                catch (IOException)
                {
                    continue;
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }
                foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var child) && seen.Add(child))
                    {
                        pending.Push(child);
                        if (TryReadStat(child, out _, out var state) && state is not ('Z' or 'X'))
                        {
                            result.Add(child);
                        }
                    }
                }
            }
        }
        return result;
    }

    private static List<int> LiveDescendantsFromFullScan(int root)
    {
        var children = new Dictionary<int, List<int>>();
        var live = new HashSet<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory.AsSpan());
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            if (!TryReadStat(pid, out var parent, out var state))
            {
                continue; // gone meanwhile
            }
            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }
            list.Add(pid);
            if (state is not ('Z' or 'X'))
            {
                live.Add(pid);
            }
        }

        var result = new List<int>();
        var pending = new Stack<int>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            if (!children.TryGetValue(pending.Pop(), out var kids))
            {
                continue;
            }
            foreach (var kid in kids)
            {
                if (live.Contains(kid))
                {
                    result.Add(kid);
                }
                pending.Push(kid);
            }
        }
        return result;
    }

    /// <summary>Parses "pid (comm) S ppid ..." where comm may hold spaces and parentheses.</summary>
    internal static bool TryParseStat(ReadOnlySpan<char> stat, out int parent, out char state)
    {
        parent = 0;
        state = '?';
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 4 > stat.Length)
        {
            return false;
        }
        var rest = stat[(close + 2)..];
        state = rest[0];
        rest = rest[2..];
        var space = rest.IndexOf(' ');
        return space > 0 && int.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out parent);
    }

    private static bool TryReadStat(int pid, out int parent, out char state)
    {
        try
        {
            return TryParseStat(File.ReadAllText($"/proc/{pid}/stat"), out parent, out state);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        parent = 0;
        state = '?';
        return false;
    }
}
