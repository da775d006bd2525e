namespace BudgetRun.Engine.Budget;

/// <summary>What spend reported from outside the attempt loop (<c>POST /cost</c>) means for the run.</summary>
public enum SpendVerdict
{
    /// <summary>Recorded; the run goes on.</summary>
    Recorded,

    /// <summary>Recorded, and what is left cannot pay another attempt: the run ends (75) after the running one.</summary>
    RecordedRunEnds,

    /// <summary>Recorded, and the budget is spent: the running attempt is stopped and the run ends (75).</summary>
    Exhausted,
}
