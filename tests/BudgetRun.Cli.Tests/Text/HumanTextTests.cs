using BudgetRun.Cli.Text;

namespace BudgetRun.Cli.Tests.Text;

public sealed class HumanTextTests
{
    [Theory]
    [InlineData("a\nb", @"a\nb")]
    [InlineData("a\r\nb", @"a\r\nb")]
    [InlineData("a\tb", @"a\tb")]
    [InlineData("\u001b[31mred", @"\x1b[31mred")]
    [InlineData("nul\0", @"nul\x00")]
    [InlineData("del\u007f", @"del\x7f")]
    [InlineData("c1\u009b", @"c1\x9b")]
    [InlineData("evil\u202etxt.exe", @"evil\u202etxt.exe")]
    [InlineData("isolate\u2066x\u2069", @"isolate\u2066x\u2069")]
    [InlineData("line\u2028sep", @"line\u2028sep")]
    public void Escape_WritesEveryControlAndBidiCharacterAsAVisibleEscape(string raw, string shown) =>
        Assert.Equal(shown, HumanText.Escape(raw));

    [Theory]
    [InlineData("plain text, 42 cents")]
    [InlineData(@"C:\path\with\backslashes")]
    [InlineData("ünïcödé, 日本語 and emoji 🙂")]
    [InlineData("")]
    public void Escape_LeavesPrintableTextAsItIs(string text) =>
        Assert.Same(text, HumanText.Escape(text));

    [Fact]
    public void Escape_OfNull_IsEmpty() => Assert.Equal("", HumanText.Escape(null));
}
