namespace BudgetRun.Ledgers;

/// <summary>How settling (or releasing) a reservation by id ended.</summary>
internal enum SettleOutcome
{
    /// <summary>Done: the real cost replaced the reservation (sidecar: 200). Also the answer to a retry of the same call.</summary>
    Settled,

    /// <summary>The reservation was already settled or released by another call (sidecar: 409); nothing changed.</summary>
    AlreadySettled,

    /// <summary>No such reservation in this account (sidecar: 404); nothing changed.</summary>
    NotFound,
}
