namespace BudgetRun.Ledgers;

/// <summary>
/// The account (or the SQLite file that would hold it) does not exist, and the caller asked not to
/// create it: <c>--require-account</c>, <c>status</c>, <c>budget show</c>, <c>resume</c>. One line naming both.
/// </summary>
internal sealed class AccountNotFoundException(string message) : Exception(message);
