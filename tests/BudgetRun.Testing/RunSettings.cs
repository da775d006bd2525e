namespace BudgetRun.Testing;

/// <summary>How <see cref="BudgetRunProcess"/> starts a program.</summary>
internal sealed record RunSettings
{
    /// <summary>Variables to set; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Bytes fed to stdin, which is then closed. Null: stdin is closed at once (end of file).</summary>
    public byte[]? Stdin { get; init; }

    /// <summary>Leave stdin open for the test to write to (<see cref="BudgetRunProcess.Stdin"/>).</summary>
    public bool KeepStdinOpen { get; init; }

    /// <summary>The program's working directory; null: the test's own.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The program must exit within this, or the test fails and its process tree is killed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
