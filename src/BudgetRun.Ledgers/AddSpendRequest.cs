namespace BudgetRun.Ledgers;

/// <summary>Spend added to a bucket without a reservation.</summary>
/// <param name="Bucket">The window it is charged to (<see cref="BudgetWindow.BucketAt"/>).</param>
/// <param name="Cents">The spend.</param>
/// <param name="OperationId">Made by the client: a store that can answer late (Redis) adds the spend once per id.</param>
/// <param name="NowMs">When it is added (Unix milliseconds).</param>
internal sealed record AddSpendRequest(string Bucket, long Cents, string OperationId, long NowMs);
