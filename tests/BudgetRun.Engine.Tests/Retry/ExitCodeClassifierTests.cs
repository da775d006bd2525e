using BudgetRun.Engine.Retry;

namespace BudgetRun.Engine.Tests.Retry;

public sealed class ExitCodeClassifierTests
{
    private static readonly HashSet<int> None = [];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(75)]
    [InlineData(124)]
    [InlineData(137)]
    [InlineData(255)]
    public void IsRetryable_ByDefault_RetriesNonZeroCodes(int code) =>
        Assert.True(new ExitCodeClassifier(null, None).IsRetryable(code));

    [Theory]
    [InlineData(0)]
    [InlineData(126)]
    [InlineData(127)]
    public void IsRetryable_ByDefault_DoesNotRetrySuccessNorNotExecutableNorNotFound(int code) =>
        Assert.False(new ExitCodeClassifier(null, None).IsRetryable(code));

    [Theory]
    [InlineData(1, true)]
    [InlineData(75, true)]
    [InlineData(137, true)]
    [InlineData(2, false)]
    [InlineData(124, false)]
    public void IsRetryable_WithRetryOn_RetriesOnlyTheListedCodes(int code, bool retried) =>
        Assert.Equal(retried, new ExitCodeClassifier(new HashSet<int> { 1, 75, 137 }, None).IsRetryable(code));

    [Fact]
    public void IsRetryable_WhenRetryOnNames126Or127_RetriesThem()
    {
        var classifier = new ExitCodeClassifier(new HashSet<int> { 126, 127 }, None);

        Assert.True(classifier.IsRetryable(126));
        Assert.True(classifier.IsRetryable(127));
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(124, false)]
    [InlineData(1, true)]
    public void IsRetryable_WithNoRetryOn_EndsOnTheListedCodes(int code, bool retried) =>
        Assert.Equal(retried, new ExitCodeClassifier(null, new HashSet<int> { 3, 124 }).IsRetryable(code));

    [Fact]
    public void IsRetryable_WhenACodeIsInBothLists_NoRetryOnWins()
    {
        var classifier = new ExitCodeClassifier(new HashSet<int> { 1, 124 }, new HashSet<int> { 1, 124 });

        Assert.False(classifier.IsRetryable(1));
        Assert.False(classifier.IsRetryable(124));
    }

    [Fact]
    public void IsRetryable_ForZero_IsFalseWhateverTheLists() =>
        Assert.False(new ExitCodeClassifier(new HashSet<int> { 0 }, None).IsRetryable(0));

    [Theory]
    [InlineData(true, false, true)]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(null, false, true)]
    [InlineData(null, true, false)]
    public void IsRetryable_ForTimeout124_ObeysBothLists(bool? inRetryOn, bool inNoRetryOn, bool retried)
    {
        IReadOnlySet<int>? retryOn = inRetryOn switch
        {
            null => null,
            true => new HashSet<int> { 1, 124 },
            false => new HashSet<int> { 1 },
        };
        var noRetryOn = inNoRetryOn ? new HashSet<int> { 124 } : None;

        Assert.Equal(retried, new ExitCodeClassifier(retryOn, noRetryOn).IsRetryable(ExitCodes.TimedOut));
    }
}
