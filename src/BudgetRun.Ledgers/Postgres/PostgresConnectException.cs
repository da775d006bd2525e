namespace BudgetRun.Ledgers.Postgres;

/// <summary>
/// No connection could be had (refused, unreachable, password refused, no such database): nothing was
/// sent, so nothing can have landed. Wraps the driver's error so that <see cref="PostgresStore.MayHaveLanded"/>
/// tells it apart from the same driver error in mid-conversation.
/// </summary>
internal sealed class PostgresConnectException(Exception inner) : Exception(inner.Message, inner);
