using Slip.Training.Datasets;

namespace Slip.Training.Tests;

/// <summary>CLIP's BPE on the vocabulary that ships inside Slip.</summary>
public sealed class TokenizerTests
{
    private static ClipBpeTokenizer Clip => ClipBpeTokenizer.BuiltIn;

    [Fact]
    public void TheBuiltInVocabularyIsOpenAIsFileByteForByte()
    {
        using var stream = typeof(ClipBpeTokenizer).Assembly.GetManifestResourceStream(ClipBpeTokenizer.BuiltInResource)!;
        Assert.Equal("924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)));
    }

    [Theory]
    [InlineData("a diagram", new long[] { 49406, 320, 22697, 49407 })]
    [InlineData("a dog", new long[] { 49406, 320, 1929, 49407 })]
    [InlineData("a cat", new long[] { 49406, 320, 2368, 49407 })]
    public void KnownCaptionsGetCLIPsIds(string caption, long[] expected)
    {
        var ids = Clip.Tokenize(caption, 77);
        Assert.Equal(expected, ids[..expected.Length]);
        Assert.All(ids[expected.Length..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void TextIsNormalisedBeforeEncoding() =>
        Assert.Equal(Clip.Encode("a photo of a cat"), Clip.Encode("  A \t Photo of a\nCAT "));

    [Fact]
    public void HtmlEntitiesAreUnescapedTwice() =>
        Assert.Equal(Clip.Encode("tom & jerry"), Clip.Encode("tom &amp;amp; jerry"));

    [Fact]
    public void DigitsAreSingleTokensAndEveryByteIsEncodable()
    {
        var digits = Clip.Encode("2025");
        Assert.Equal(4, digits.Count);
        var anything = Clip.Encode("naïve café 北京 🙂 \u0001");
        Assert.All(anything, id => Assert.InRange(id, 0, ClipBpeTokenizer.VocabSize - 3));
    }

    [Fact]
    public void OverlongTextKeepsEndOfTextLast()
    {
        var ids = Clip.Tokenize(string.Join(' ', Enumerable.Repeat("photograph", 200)), 77);
        Assert.Equal(77, ids.Length);
        Assert.Equal(ClipBpeTokenizer.EndOfText, ids[^1]);
        Assert.Equal(ClipBpeTokenizer.EndOfText, ids.Max());
    }

    [Fact]
    public void TheReferenceTruncationCutsTheRowSoALongCaptionLosesEndOfText()
    {
        var text = string.Join(' ', Enumerable.Repeat("photograph", 200));
        var reference = Clip.WithTruncation(Truncation.Reference).Tokenize(text, 77);
        var body = Clip.Encode(text);
        Assert.Equal([ClipBpeTokenizer.StartOfText, .. body.Take(76).Select(i => (long)i)], reference);
        Assert.DoesNotContain(ClipBpeTokenizer.EndOfText, reference);
        Assert.Equal(0, Array.IndexOf(reference, reference.Max()));   // EOT pooling (argmax) lands on the start token

        // Short captions are the same under both rules; a caption of exactly 75 ids still ends with EOT.
        Assert.Equal(Clip.Tokenize("a photo of a dog", 77), Clip.WithTruncation(Truncation.Reference).Tokenize("a photo of a dog", 77));
        var exact = string.Join(' ', Enumerable.Repeat("dog", 75));
        Assert.Equal(ClipBpeTokenizer.EndOfText, Clip.WithTruncation(Truncation.Reference).Tokenize(exact, 77)[^1]);
    }

    [Fact]
    public void ARunsTruncationRuleReachesItsTokenizer()
    {
        var config = TinyConfigs.Slip() with { Text = TinyConfigs.Slip().Text with { Truncation = Truncation.Reference } };
        var ids = Tokenizers.Create(config, null).Tokenize(string.Join(' ', Enumerable.Repeat("photograph", 100)), config.Text.ContextLength);
        Assert.DoesNotContain(ClipBpeTokenizer.EndOfText, ids);
        var parsed = RunConfig.FromJson("""{"text": {"truncation": "reference"}}""");
        Assert.Equal(Truncation.Reference, parsed.Text.Truncation);
        Assert.Contains("\"truncation\": \"reference\"", parsed.ToJson());
    }

    [Fact]
    public void AFileThatIsNotTheVocabularyIsRefused()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "#version: 0.2\nnot a merge file\n");
        var ex = Assert.Throws<InvalidDataException>(() => ClipBpeTokenizer.Load(path));
        Assert.Contains("is not CLIP's BPE vocabulary", ex.Message);
        File.Delete(path);
    }
}
