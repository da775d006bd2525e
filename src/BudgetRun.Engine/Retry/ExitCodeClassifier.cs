namespace BudgetRun.Engine.Retry;

/// <summary>Decides which exit codes are worth another attempt.</summary>
internal sealed class ExitCodeClassifier(IReadOnlySet<int>? retryOn, IReadOnlySet<int> noRetryOn)
{
    /// <summary>
    /// Non-zero codes are retried unless listed in <c>--no-retry-on</c>, or <c>--retry-on</c> is
    /// given and does not list them. 126 and 127 (not executable, not found: a shell's own verdict
    /// too) are not retried unless <c>--retry-on</c> names them: another attempt cannot help.
    /// </summary>
    /// <remarks>
    /// An attempt with a name of its own (<paramref name="named"/>: <see cref="ExitCodes.Oom"/> for
    /// one the OOM killer ended, code 137; <see cref="ExitCodes.Unhealthy"/> for one stopped by its
    /// health checks) is decided by that name in the lists first: <c>--no-retry-on oom</c> stops the
    /// run, <c>--retry-on oom</c> retries it; a list that does not name it leaves it to its code.
    /// </remarks>
    public bool IsRetryable(int exitCode, int? named = null)
    {
        if (named is { } name && noRetryOn.Contains(name))
        {
            return false;
        }
        if (named is { } listed && retryOn is not null && retryOn.Contains(listed))
        {
            return true;
        }
        if (exitCode == 0 || noRetryOn.Contains(exitCode))
        {
            return false;
        }
        if (retryOn is not null)
        {
            return retryOn.Contains(exitCode);
        }
        return exitCode is not (ExitCodes.NotExecutable or ExitCodes.NotFound);
    }
}
