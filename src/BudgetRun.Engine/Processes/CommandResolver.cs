namespace BudgetRun.Engine.Processes;

/// <summary>
/// Finds the file to execute the way execvp does, so that "not found" (127) and "not executable"
/// (126) are told apart before anything is started.
/// </summary>
internal static class CommandResolver
{
    public static string Resolve(string command, string? pathVariable)
    {
        if (command.Length == 0)
        {
            throw new ChildStartException(StartFailure.NotFound, "command not found: (empty command)");
        }
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return Check(command) switch
            {
                null => command,
                var failure => throw failure,
            };
        }

        ChildStartException? firstDenied = null;
        var directories = (pathVariable ?? "/usr/local/bin:/usr/bin:/bin").Split(':');
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory.Length == 0 ? "." : directory, command);
            switch (Check(candidate))
            {
                case null:
                    return candidate;
                case { Failure: StartFailure.NotExecutable } denied:
                    firstDenied ??= denied;
                    break;
            }
        }
        throw firstDenied ?? new ChildStartException(StartFailure.NotFound, $"command not found: {command}");
    }

    private static ChildStartException? Check(string path)
    {
        if (Directory.Exists(path))
        {
            return new ChildStartException(StartFailure.NotExecutable, $"cannot execute {path}: is a directory");
        }
        if (!File.Exists(path))
        {
            return new ChildStartException(StartFailure.NotFound, $"command not found: {path}");
        }
        return NativeMethods.Access(path, NativeMethods.X_OK) == 0
            ? null
            : new ChildStartException(StartFailure.NotExecutable, $"cannot execute {path}: permission denied");
    }
}
