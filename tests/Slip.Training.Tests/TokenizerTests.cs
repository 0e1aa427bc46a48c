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

    [Fact]
    public void AVocabularyFileThatIsNotClipsIsRefusedWithTheReason()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "#version\na b\n");
        var ex = Assert.Throws<InvalidDataException>(() => ClipBpeTokenizer.Load(file));
        Assert.Contains("is not CLIP's BPE vocabulary", ex.Message);
        File.Delete(file);
        Assert.Throws<FileNotFoundException>(() => ClipBpeTokenizer.Load(file));
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
    public void AFileThatIsNotTheVocabularyIsRefused()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "#version: 0.2\nnot a merge file\n");
        var ex = Assert.Throws<InvalidDataException>(() => ClipBpeTokenizer.Load(path));
        Assert.Contains("is not CLIP's BPE vocabulary", ex.Message);
        File.Delete(path);
    }
}
