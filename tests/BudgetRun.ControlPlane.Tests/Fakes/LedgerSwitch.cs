using BudgetRun.Engine.Budget;

namespace BudgetRun.ControlPlane.Tests.Fakes;

/// <summary>
/// The switch both fake ledgers consult before every operation, so a test can take the ledger
/// down, make it slow and bring it back between two requests. The outage is what the real ledgers
/// throw: one line naming the ledger by its redacted URI, with the driver's error, which does hold
/// the password, as the inner exception; an answer that leaks it fails the test.
/// </summary>
internal sealed class LedgerSwitch(TimeProvider time)
{
    /// <summary>The ledger as the real ones name it: no password.</summary>
    public const string LedgerName = "redis://127.0.0.1:1/0";

    /// <summary>What must never reach an answer or a log line.</summary>
    public const string Password = "secret-hunter2";

    private volatile LedgerMode _mode = LedgerMode.Up;
    private int _faults;

    public LedgerSwitch()
        : this(TimeProvider.System)
    {
    }

    public LedgerMode Mode
    {
        get => _mode;
        set => _mode = value;
    }

    /// <summary>How long a slow or timing-out ledger takes.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Operations that failed as an outage so far.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>The message of every outage fault: <c>ledger NAME is unavailable: REASON</c>, as the real ledgers word it.</summary>
    public static string UnavailableMessage(string reason) => $"ledger {LedgerName} is unavailable: {reason}";

    /// <summary>Passes when the ledger answers; waits, throws the outage or throws a bug, as the mode says.</summary>
    public async ValueTask EnterAsync(string operation, CancellationToken cancellationToken)
    {
        switch (_mode)
        {
            case LedgerMode.Up:
                return;
            case LedgerMode.Down:
                throw Unavailable(operation, "It was not possible to connect to the redis server(s)");
            case LedgerMode.Slow:
                await Task.Delay(Delay, time, cancellationToken).ConfigureAwait(false);
                return;
            case LedgerMode.TimingOut:
                await Task.Delay(Delay, time, cancellationToken).ConfigureAwait(false);
                throw Unavailable(operation, $"no answer within {Delay.TotalMilliseconds:0} ms");
            default:
                throw new InvalidOperationException($"the fake ledger's {operation} has a bug");
        }
    }

    private LedgerUnavailableException Unavailable(string operation, string reason)
    {
        Interlocked.Increment(ref _faults);
        return new LedgerUnavailableException(UnavailableMessage(reason),
            new IOException($"{operation}: AUTH {Password} was refused by 127.0.0.1:1"));
    }
}
