namespace BudgetRun.Engine;

/// <summary>
/// budget-run's own exit codes. They are a contract with scripts and are documented in the README;
/// this class is the one place they are spelled out.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad flag, environment variable or configuration: nothing was started.</summary>
    public const int Usage = 2;

    /// <summary>The ledger (budget store) could not be reached; no attempt started without a reservation.</summary>
    public const int LedgerUnavailable = 69;

    /// <summary>
    /// The budget account (or the SQLite ledger file) does not exist (EX_NOINPUT): a run or serve with
    /// <c>--require-account</c>, or <c>status</c>, <c>resume</c>, <c>budget show</c> of an unknown key.
    /// </summary>
    public const int NoSuchAccount = 66;

    /// <summary>The next attempt's cost does not fit in the budget (EX_TEMPFAIL).</summary>
    public const int BudgetExhausted = 75;

    /// <summary>Stopped by the kill switch (EX_NOPERM).</summary>
    public const int KillSwitch = 77;

    /// <summary>An attempt timed out (the attempt's code) or the run's deadline passed.</summary>
    public const int TimedOut = 124;

    public const int NotExecutable = 126;

    public const int NotFound = 127;

    /// <summary>128 + N: the child (or budget-run) died of signal N.</summary>
    public const int SignalBase = 128;

    /// <summary>budget-run got SIGINT (or the child died of a terminal's Ctrl-C).</summary>
    public const int Interrupted = SignalBase + Signals.SIGINT;

    /// <summary>budget-run got SIGTERM.</summary>
    public const int Terminated = SignalBase + Signals.SIGTERM;

    /// <summary>budget-run's own output could not be written: stdout is full or failed (EX_IOERR).</summary>
    public const int OutputFailed = 74;

    /// <summary>budget-run's stdout was a pipe whose reader had gone, as a program killed by SIGPIPE exits.</summary>
    public const int BrokenPipe = SignalBase + Signals.SIGPIPE;

    /// <summary>An unexpected internal error (EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary><c>budget-run install</c>: the copy cannot be written (EX_CANTCREAT).</summary>
    public const int CannotCreate = 73;

    /// <summary>
    /// Not an exit code: how <c>--retry-on</c> and <c>--no-retry-on</c> hold the word <c>oom</c> (an
    /// attempt the OOM killer ended, whose code is 137), beyond the codes 1 to 255.
    /// </summary>
    public const int Oom = 256;

    /// <summary>Likewise, the word <c>unhealthy</c>: an attempt budget-run stopped for failing its health checks (its code is its death's, 143 after SIGTERM).</summary>
    public const int Unhealthy = 257;
}
