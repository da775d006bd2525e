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
    /// An attempt the OOM killer ended (<paramref name="oom"/>; its code is 137) is decided by
    /// <see cref="ExitCodes.Oom"/> in the lists first: <c>--no-retry-on oom</c> stops the run,
    /// <c>--retry-on oom</c> retries it; a list that does not name <c>oom</c> leaves it to 137.
    /// </remarks>
    public bool IsRetryable(int exitCode, bool oom = false)
    {
        if (oom && noRetryOn.Contains(ExitCodes.Oom))
        {
            return false;
        }
        if (oom && retryOn is not null && retryOn.Contains(ExitCodes.Oom))
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
