namespace BudgetRun.Engine.Budget;

/// <summary>What is reserved for one running attempt: the up-front reservation and any top-ups.</summary>
internal sealed class AttemptSpend
{
    private readonly List<Reservation> _reservations;

    public AttemptSpend(Reservation upfront)
    {
        _reservations = [upfront];
        ReservedCents = upfront.Cents;
    }

    public IReadOnlyList<Reservation> Reservations => _reservations;

    public long ReservedCents { get; private set; }

    internal void Add(Reservation reservation)
    {
        _reservations.Add(reservation);
        ReservedCents += reservation.Cents;
    }
}
