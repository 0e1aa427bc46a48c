using System.Text.Json;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Text;

namespace Slip.Training.Tests;

/// <summary>
/// CLIP's tokenizer on hard text against OpenAI's own (Fixtures/tokenizer/hard_strings.json, written by
/// reference/make_tokenizer_fixtures.py with ftfy 6.3.1 and openai/CLIP's simple_tokenizer): HTML entities, mojibake,
/// quotes, ligatures, widths, escapes, control characters, line breaks, NFC, Python's lower(), special tokens,
/// contractions, digits, emoji, scripts and white space. Each case is its own row, named by its index and category.
/// </summary>
public sealed class TokenizerFixtureTests
{
    private sealed record Case(string Category, string Text, string Fixed, string Clean, int[] Ids);

    private static readonly Lazy<Case[]> Fixture = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizer", "hard_strings.json");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("category").GetString()!, c.GetProperty("text").GetString()!, c.GetProperty("fixed").GetString()!,
            c.GetProperty("clean").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray())).ToArray();
    });

    public static TheoryData<int, string> Cases
    {
        get
        {
            var rows = new TheoryData<int, string>();
            for (var i = 0; i < Fixture.Value.Length; i++)
            {
                rows.Add(i, Fixture.Value[i].Category);
            }

            return rows;
        }
    }

    [Fact]
    public void TheFixtureHoldsEveryCase() => Assert.Equal(141, Fixture.Value.Length);

    [Theory]
    [MemberData(nameof(Cases))]
    public void TextRepairGivesFtfysFixText(int index, string category)
    {
        var c = Fixture.Value[index];
        Assert.Equal(c.Category, category);
        Assert.Equal(c.Fixed, TextRepair.FixText(c.Text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CleaningGivesTheTextClipsPretokenizerSees(int index, string category)
    {
        var c = Fixture.Value[index];
        Assert.Equal(c.Category, category);
        Assert.Equal(c.Clean, ClipTextCleaner.Clean(c.Text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodingGivesClipsIds(int index, string category)
    {
        var c = Fixture.Value[index];
        Assert.Equal(c.Category, category);
        Assert.Equal(c.Ids, ClipBpeTokenizer.BuiltIn.Encode(c.Text));
    }

    [Fact]
    public void ThePretokenizerReadsCodePointsNotUtf16Halves()
    {
        // An astral letter continues a letter run and an astral digit is one number; U+0345 (it folds to a letter under
        // IGNORECASE but is none) is matched by no alternative and skipped.
        Assert.Equal(["\U0001D4A5ohn", "\U0001D7D9", "2", "a", "b"], Pieces("\U0001D4A5ohn \U0001D7D92 a\u0345b"));
        Assert.Equal(["<|EndOfText|>", "it", "'ſ", "'S", "x"], Pieces("<|EndOfText|>it'ſ'Sx"));
    }

    [Fact]
    public void PythonsLowerIsFullAndKnowsTheFinalSigma()
    {
        Assert.Equal("i\u0307stanbul", PythonText.Lower("İstanbul"));
        Assert.Equal("σς σ.ς", PythonText.Lower("ΣΣ Σ.Σ"));
        Assert.Equal("a photo", PythonText.Lower("A Photo"));
    }

    private static string[] Pieces(string text) => ClipPretokenizer.Split(text).Select(p => text.Substring(p.Start, p.Length)).ToArray();
}
