namespace Slip.Web.Tests;

public sealed class CsvTextTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]   // a formula is neutralised, then quoted
    [InlineData("+1+cmd", "'+1+cmd")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("-0.5", "-0.5")]                                                       // a number stays a number
    [InlineData("1e-3", "1e-3")]
    [InlineData("slip, tiny", "\"slip, tiny\"")]
    [InlineData("plain", "plain")]
    public void FieldsASpreadsheetWouldRunAsFormulasAreNeutralised(string text, string field) =>
        Assert.Equal(field, CsvText.Field(text));
}
