namespace BudgetRun.Ledgers;

/// <summary>Spend added to the current bucket of every level that has terms, without a reservation.</summary>
/// <param name="Levels">The path, root first (<see cref="AccountPath.Levels"/>); levels without a bucket are left alone.</param>
/// <param name="Cents">The spend.</param>
/// <param name="OperationId">Made by the client: a store that can answer late (Redis) adds the spend once per id.</param>
/// <param name="NowMs">When it is added (Unix milliseconds).</param>
/// <param name="Run">The run reporting it (recorded in the history).</param>
internal sealed record AddSpendRequest(IReadOnlyList<LevelBucket> Levels, long Cents, string OperationId, long NowMs, RunIdentity Run);
