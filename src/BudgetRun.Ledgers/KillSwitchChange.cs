namespace BudgetRun.Ledgers;

/// <summary>A kill or a resume of the account's fleet kill switch.</summary>
internal sealed record KillSwitchChange
{
    private KillSwitchChange(bool engaged, string? reason, long nowMs)
    {
        Engaged = engaged;
        Reason = reason;
        NowMs = nowMs;
    }

    /// <summary>True to engage the switch (kill), false to release it (resume).</summary>
    public bool Engaged { get; }

    /// <summary>Why it was engaged; null for a resume or a kill without a reason.</summary>
    public string? Reason { get; }

    /// <summary>When (Unix milliseconds).</summary>
    public long NowMs { get; }

    /// <summary>Who (recorded in the history); the current process when not set.</summary>
    public RunIdentity Actor { get; init; } = RunIdentity.ForCurrentProcess("admin");

    public static KillSwitchChange Kill(string? reason, long nowMs) => new(true, reason, nowMs);

    public static KillSwitchChange Resume(long nowMs) => new(false, null, nowMs);
}
