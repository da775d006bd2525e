using System.Text.Json;

namespace BudgetRun.Ledgers.Tests;

public sealed class LedgerAccountTests
{
    [Theory]
    [InlineData("nightly-batch")]
    [InlineData("queue-worker/openai")]
    [InlineData("team.a:prod@eu+1")]
    [InlineData("x")]
    public void Keys_LikeTheDocumentedOnes_AreValid(string key) => Assert.True(LedgerAccount.IsValidKey(key));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData("/leading-slash")]
    [InlineData("has space")]
    [InlineData("brace{tag}")]
    [InlineData("new\nline")]
    public void OtherKeys_AreRefusedWithAMessageThatSaysWhatIsAllowed(string? key)
    {
        Assert.False(LedgerAccount.IsValidKey(key));
        if (key is not null)
        {
            var error = Assert.Throws<ArgumentException>(() => new LedgerAccount(key, 100, BudgetWindow.None));
            Assert.Contains("letters, digits and . _ - / : @ +", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("a/b/c/d/e/f/g/h", true)]
    [InlineData("a/b/c/d/e/f/g/h/i", false)]
    [InlineData("a//b//c//d//e//f//g//h", true)] // empty segments are no levels (AccountPath.Levels)
    [InlineData("a/b/c/d/e/f/g/h/", false)] // a trailing separator makes the key a ninth level
    public void KeyDepth_IsAtMostMaxLevels_TheBoundOfTheBudgetKeyLabel(string key, bool valid)
    {
        Assert.Equal(valid, LedgerAccount.IsValidKey(key));
        if (!valid)
        {
            var error = Assert.Throws<ArgumentException>(() => new LedgerAccount(key, 100, BudgetWindow.None));
            Assert.Contains($"at most {AccountPath.MaxLevels} levels", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void KeyLength_IsLimited()
    {
        Assert.True(LedgerAccount.IsValidKey(new string('k', LedgerAccount.MaxKeyLength)));
        Assert.False(LedgerAccount.IsValidKey(new string('k', LedgerAccount.MaxKeyLength + 1)));
    }

    [Fact]
    public void AccountStatus_SerialisesToTheNamesOfIssue11()
    {
        var status = new AccountStatus("nightly-batch", 100, 40, 7, 53, new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), true, "spike");

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(status, JsonSerializerOptions.Web));

        Assert.Equal(
            ["budgetKey", "budgetCents", "spentCents", "reservedCents", "remainingCents", "windowEndsAt", "killSwitch", "killReason"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("2026-03-02T00:00:00+00:00", json.RootElement.GetProperty("windowEndsAt").GetString());
    }
}
