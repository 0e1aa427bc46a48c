using Slip.Training.Datasets;

namespace Slip.Training.Tests;

/// <summary>CLIP's BPE on the vocabulary file from ../shared/data (a test input only; users configure their own copy).</summary>
public sealed class TokenizerTests
{
    private static readonly Lazy<ClipBpeTokenizer> Clip = new(() => ClipBpeTokenizer.Load(VocabularyPath));

    /// <summary>SLIP_TEST_BPE_VOCAB, else shared/data beside the repository (where the test machines keep it).</summary>
    public static string VocabularyPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable("SLIP_TEST_BPE_VOCAB") is { Length: > 0 } path)
            {
                return path;
            }

            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Slip.sln")))
            {
                root = root.Parent;
            }

            return Path.GetFullPath(Path.Combine(root?.FullName ?? ".", "..", "shared", "data", "bpe_simple_vocab_16e6.txt.gz"));
        }
    }

    [Theory]
    [InlineData("a diagram", new long[] { 49406, 320, 22697, 49407 })]
    [InlineData("a dog", new long[] { 49406, 320, 1929, 49407 })]
    [InlineData("a cat", new long[] { 49406, 320, 2368, 49407 })]
    public void KnownCaptionsGetCLIPsIds(string caption, long[] expected)
    {
        var ids = Clip.Value.Tokenize(caption, 77);
        Assert.Equal(expected, ids[..expected.Length]);
        Assert.All(ids[expected.Length..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void TextIsNormalisedBeforeEncoding() =>
        Assert.Equal(Clip.Value.Encode("a photo of a cat"), Clip.Value.Encode("  A \t Photo of a\nCAT "));

    [Fact]
    public void HtmlEntitiesAreUnescapedTwice() =>
        Assert.Equal(Clip.Value.Encode("tom & jerry"), Clip.Value.Encode("tom &amp;amp; jerry"));

    [Fact]
    public void DigitsAreSingleTokensAndEveryByteIsEncodable()
    {
        var digits = Clip.Value.Encode("2025");
        Assert.Equal(4, digits.Count);
        var anything = Clip.Value.Encode("naïve café 北京 🙂 \u0001");
        Assert.All(anything, id => Assert.InRange(id, 0, ClipBpeTokenizer.VocabSize - 3));
    }

    [Fact]
    public void OverlongTextKeepsEndOfTextLast()
    {
        var ids = Clip.Value.Tokenize(string.Join(' ', Enumerable.Repeat("photograph", 200)), 77);
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
