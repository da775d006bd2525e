namespace BudgetRun.Ledgers;

/// <summary>
/// One level of an account path in a request, as the client last read its terms: the bucket of the
/// current window (null: the level has no terms and takes no part) and the version of the terms it
/// was computed from. A store refuses the request as <see cref="ReserveStatus.Stale"/> when the
/// stored version differs, so a window or limit changed a moment ago is never charged by old terms.
/// </summary>
internal readonly record struct LevelBucket(string Key, string? Bucket, long Version);
