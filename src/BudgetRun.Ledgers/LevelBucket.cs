namespace BudgetRun.Ledgers;

/// <summary>
/// One level of an account path in a request, as the client last read its terms: the bucket of the
/// current window (null: the level has no terms and takes no part), the version of the terms it
/// was computed from, and the bounds of that window on the ledger's clock. A store refuses the
/// request as <see cref="ReserveStatus.Stale"/> when the stored version differs, so a window or limit
/// changed a moment ago is never charged by old terms, and as <see cref="ReserveStatus.OutsideWindow"/>
/// when its own clock is outside the window, so a client whose clock drifted never charges a window
/// the ledger is not in.
/// </summary>
/// <param name="Key">The level's account key.</param>
/// <param name="Bucket">The bucket of the window, or null.</param>
/// <param name="Version">The terms' version the bucket was computed from.</param>
/// <param name="StartMs">When the window began (Unix milliseconds); <see cref="long.MinValue"/> without a window.</param>
/// <param name="EndMs">When the window ends; <see cref="long.MaxValue"/> without a window.</param>
internal readonly record struct LevelBucket(string Key, string? Bucket, long Version, long StartMs = long.MinValue, long EndMs = long.MaxValue)
{
    /// <summary>Whether <paramref name="nowMs"/> is in this level's window (a level without a bucket has none to be outside of).</summary>
    public bool Contains(long nowMs) => Bucket is null || (nowMs >= StartMs && nowMs < EndMs);
}
