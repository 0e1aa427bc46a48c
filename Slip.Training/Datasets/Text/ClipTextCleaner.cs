namespace Slip.Training.Datasets.Text;

/// <summary>
/// The text CLIP's tokenizer (openai/CLIP <c>simple_tokenizer.py</c>) hands to its pre-tokenizer:
/// <c>whitespace_clean(basic_clean(text)).lower()</c>, i.e. ftfy's <c>fix_text</c> (<see cref="TextRepair"/>),
/// <c>html.unescape</c> twice, <c>strip()</c>, runs of White_Space to one space, <c>strip()</c>, Python's <c>lower()</c>.
/// </summary>
public static class ClipTextCleaner
{
    public static string Clean(string text)
    {
        var repaired = TextRepair.FixText(text);
        var unescaped = HtmlEntities.Unescape(HtmlEntities.Unescape(repaired));
        var collapsed = PythonText.Strip(PythonText.CollapseWhiteSpace(PythonText.Strip(unescaped)));
        return PythonText.Lower(collapsed);
    }
}
