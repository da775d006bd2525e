namespace BudgetRun.Cli.Files;

/// <summary>What a path names, as stat(2) tells it (symbolic links followed).</summary>
internal enum FileKind
{
    Missing,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}
