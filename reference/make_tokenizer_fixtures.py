"""Writes the tokenizer fixture that checks Slip's CLIP tokenizer (text cleaning included) against OpenAI's reference.

    git clone https://github.com/rspeer/python-ftfy /tmp/ftfy-src
    git -C /tmp/ftfy-src checkout 74dd0452b48286a3770013b3a02755313bd5575e      # ftfy 6.3.1
    git clone https://github.com/openai/CLIP /tmp/clip-src
    git -C /tmp/clip-src checkout d05afc436d78f1c48dc0dbf8e5980a9d471f35f6
    /usr/bin/python3 reference/make_tokenizer_fixtures.py --ftfy /tmp/ftfy-src --clip /tmp/clip-src \
        tests/Slip.Training.Tests/Fixtures/tokenizer/hard_strings.json

The reference tokenizer is CLIP's `clip/simple_tokenizer.py`: `encode(text)` tokenizes
`whitespace_clean(basic_clean(text)).lower()`, where `basic_clean` is `ftfy.fix_text` (default settings), then
`html.unescape` twice, then `strip()`, and `whitespace_clean` collapses runs of `\\s` (the `regex` module's) to one
space. Each case records the input `text`, `fixed` (ftfy.fix_text alone), `clean` (the exact string fed to the BPE
regex) and `ids` (encode's output, without the start/end tokens and without padding or truncation).

Neither project is vendored: the script imports ftfy from the `--ftfy` folder and loads `clip/simple_tokenizer.py`
from the `--clip` folder by path (importing the `clip` package would pull in torch). The BPE merges are the repo's
copy, `Slip.Training/Datasets/Vocabulary/bpe_simple_vocab_16e6.txt.gz` (byte-identical to CLIP's). The commits of
both checkouts are read with `git rev-parse HEAD` when the folders are git checkouts (for an exported tree pass
`--ftfy-commit` / `--clip-commit`) and are written into the JSON along with ftfy's version, the Python Unicode
database version and the `regex` module's version, because those tables decide NFC, `str.lower` and `\\p{L}`.
Needs Debian's python3-regex and python3-wcwidth (ftfy imports wcwidth). The JSON is written with ensure_ascii=True
so control characters and unusual code points survive editors.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import unicodedata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BPE = os.path.join(REPO, "Slip.Training", "Datasets", "Vocabulary", "bpe_simple_vocab_16e6.txt.gz")
DEFAULT_OUT = os.path.join(REPO, "tests", "Slip.Training.Tests", "Fixtures", "tokenizer", "hard_strings.json")

# (category, text). Invisible, confusable or control characters are written as escapes.
CASES = [
    # Ordinary captions as controls.
    ("plain", "a photo of a cat"),
    ("plain", "A Dog running on the beach, at sunset!"),
    ("plain", "Two people riding bikes down a city street."),
    ("plain", ""),
    ("plain", "   \t  "),

    # HTML entities. ftfy decodes only entities that end in ';' (plus ALL-CAPS versions of lowercase ones);
    # CLIP's html.unescape (twice) afterwards also decodes the semicolon-less legacy ones.
    ("html", "Tom &amp; Jerry cartoon"),
    ("html", "fish &amp;amp; chips"),
    ("html", "triple &amp;amp;amp;lt;escaped&amp;amp;amp;gt;"),
    ("html", "caf&eacute; on the corner"),
    ("html", "caf&eacute on the corner"),
    ("html", "salt &amp pepper"),
    ("html", "this&not that"),
    ("html", "&#39;quoted&#39; text and &#x2019;s"),
    ("html", "&#8220;Hello&#8221; she said&hellip;"),
    ("html", "P&EACUTE;REZ family &NTILDE; &nTILDE; &AMP; &Amp;"),
    ("html", "&amp;eacute; double-escaped named"),
    ("html", "&#128; &#x80; &#0; &#13; &#x1c; &#1114112; &#xD800; &#65"),
    ("html", "&ThickSpace;wide&nbsp;gap &checkmark;"),
    ("html", "a &lt;b&gt; tag in a caption"),
    ("html", "\ufb01sh &#xFB01; &#xFF21;&#x3000;x"),
    ("html", "caf&Atilde;&copy; menu"),

    # A literal '<' turns ftfy's HTML unescaping off for that line and every later line; CLIP still unescapes twice.
    ("html_lt", "x < y &amp; z"),
    ("html_lt", "a < b &#x2019;s &#xFB01;sh &#xFF21;&#x3000;wide"),
    ("html_lt", "1 < 2 &amp;amp;amp;amp; done"),
    ("html_lt", "first &amp;amp;amp; line\nsecond < line\nthird &amp;amp;amp; line"),
    ("html_lt", "<b>bold</b> &eacute;t&eacute; &#8220;x&#8221;"),
    ("html_lt", "a < b caf&Atilde;&copy; menu"),

    # Mojibake: UTF-8 read as windows-1252 / latin-1 / other single-byte code pages.
    ("mojibake", "cafÃ©"),
    ("mojibake", "donâ€™t stop"),
    ("mojibake", "Ã¼ber cool"),
    ("mojibake", "The CafÃƒÂ© sign"),
    ("mojibake", "donÃ¢â‚¬â„¢t panic"),
    ("mojibake", "naïve cafÃ©"),
    ("mojibake", "Ã©tÃ© à Paris"),
    ("mojibake", "voilÃ\xa0 le travail"),
    ("mojibake", "voilÃ le travail"),
    ("mojibake", "â€œquotedâ€\ufffd text"),
    ("mojibake", "donâ\x80\x99t"),
    ("mojibake", "It was 10Â°C and Â£5"),
    ("mojibake", "HÃ”TEL"),
    ("mojibake", "РџСЂРёРІРµС‚ friend"),
    ("mojibake", "caf√© au lait"),
    ("mojibake", "caf├⌐ menu"),
    ("mojibake", "Î±Î²Î³ letters"),
    ("mojibake", "æ—¥æœ¬èªž text"),
    ("mojibake", "ðŸ˜€ smile"),
    ("mojibake", "I â\x9d¤ï¸\x8f NY"),
    ("mojibake", "Ĺ\x81ĂłdĹş city"),
    ("mojibake", "Ξ•Ξ»Ξ»Ξ¬Ξ΄Ξ± flag"),
    ("mojibake", "Ä°stanbul"),
    ("mojibake", "ÂªTSAU"),
    ("mojibake", "Ã¼ber\nnaïve Ã"),

    # Looks like mojibake but ftfy leaves it (or only part of it) alone.
    ("mojibake_negative", "naïve Ã"),
    ("mojibake_negative", "Bremer/Mccoy – DrÃ¥ber"),
    ("mojibake_negative", "ZĂźrich"),
    ("mojibake_negative", "C O N C L U S Ã O"),
    ("mojibake_negative", "Offering 5×£35 pin ups"),
    ("mojibake_negative", "NESTLÉ® cereal"),

    # Curly quotes: ftfy maps U+02BC, U+2018-U+201B to ' and U+201C-U+201F to ", nothing else.
    ("quotes", "\u2018single\u2019 and \u201cdouble\u201d quotes"),
    ("quotes", "\u201alow\u2018 and \u201elow\u201c German quotes"),
    ("quotes", "\u201breversed\u201f marks"),
    ("quotes", "the 5\u2032 11\u2033 man"),
    ("quotes", "Hawai\u02bbi and Hawai\u02bci"),
    ("quotes", "\u00abguillemets\u00bb and \u2039single\u203a"),
    ("quotes", "\uff02fullwidth\uff02 and \uff07apostrophe\uff07"),

    # Latin ligatures and digraphs that ftfy splits (others, like ae, are left).
    ("ligatures", "\ufb01sh and \ufb02owers"),
    ("ligatures", "o\ufb00ice co\ufb00ee, e\ufb03cient ba\ufb04e"),
    ("ligatures", "\ufb05 \ufb06 fa\ufb06"),
    ("ligatures", "\u0132ssel \u0133s \u00e6 \u0153"),
    ("ligatures", "\u01c5emal \u01c4 \u01c6 \u01c8 \u01cb \u01f2"),
    ("ligatures", "rock \u0149 roll"),

    # Full-width and half-width forms.
    ("width", "\uff21\uff22\uff23\uff11\uff12\uff13"),
    ("width", "\uff76\uff80\uff76\uff85 katakana"),
    ("width", "\uff8a\uff9f\uff9d bread"),
    ("width", "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33"),
    ("width", "\uffe5\uff11\uff10\uff10 \uffe0 \uff5e \uff61 \uffa1"),
    ("width", "macron\uffe3x"),

    # Terminal escapes: only ESC [ digits/semicolons letter is removed; other ESC sequences lose just the ESC.
    ("terminal", "\x1b[31mred\x1b[0m apple"),
    ("terminal", "\x1b[1;32;40mbold green\x1b[m grass"),
    ("terminal", "\x1b]0;title\x07 window"),
    ("terminal", "\x1b[?25l hidden cursor"),

    # Control characters.
    ("control", "null\x00byte bell\x07 del\x7f sub\x1a fs\x1c"),
    ("control", "vt\x0bff\x0ctab\there"),
    ("control", "C1 next\x85 line and \x80 euro"),
    ("control", "\x81 hole \x8d and \x9d"),
    ("control", "\ufeffBOM at start"),
    ("control", "soft\xadhyphen zero\u200bwidth zw\u200dj word\u2060joiner"),
    ("control", "\u206adeprecated \ufffcobject \ufff9annotated\ufffb \u200eLRM"),
    ("control", "\u65e5\u672c\x85\u8a9e"),

    # Line breaks.
    ("line_breaks", "line one\r\nline two"),
    ("line_breaks", "old mac\rline"),
    ("line_breaks", "sep\u2028line para\u2029graph"),
    ("line_breaks", "nel\u0085line"),
    ("line_breaks", "trailing newline\n\n"),

    # NFC (ftfy's last step) and the singletons it maps.
    ("nfc", "cafe\u0301"),
    ("nfc", "A\u030a ring and \u212b angstrom"),
    ("nfc", "\u1100\u1161\u11a8 jamo"),
    ("nfc", "\u212a kelvin and \u2126 ohm"),
    ("nfc", "e\u0301\u0302 stacked"),

    # Python str.lower specials.
    ("lower", "\u0130stanbul"),
    ("lower", "\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3."),
    ("lower", "STRA\u1e9eE"),
    ("lower", "\u13e3\u13b3\u13a9 Cherokee"),
    ("lower", "\u1fbc \u1f88 titlecase"),
    ("lower", "\u216b \u24b6\u24b7"),
    ("lower", "d\u0131rty \u0131\u0130"),

    # The special tokens written inside the text.
    ("special", "<|startoftext|>a photo<|endoftext|>"),
    ("special", "<|EndOfText|>"),
    ("special", "word<|endoftext|>word"),
    ("special", "<|ENDOFTEXT|> and <|StartOfText|>"),
    ("special", "<|endoftext| and < |endoftext| >"),
    ("special", "&lt;|endoftext|&gt;"),

    # Contractions.
    ("contractions", "it's a dog's life"),
    ("contractions", "we'll see, they've gone, you'd know, I'm here"),
    ("contractions", "IT'S WE'LL I'M"),
    ("contractions", "it\u2019s curly and it\u02bcs modifier"),
    ("contractions", "can't won't rock 'n' roll dogs' bones"),
    ("contractions", "it`s backtick 'sup"),
    ("contractions", "it'\u017f long s and it'\ufb05"),

    # Digits.
    ("digits", "1234 and 3.14"),
    ("digits", "\u00b9\u00b2\u00b3 superscripts 10\u207b\u00b3"),
    ("digits", "\u0663\u0664\u0665 Arabic-Indic and \u0967\u0968\u0969 Devanagari"),
    ("digits", "\u00bd cup \u2460\u2461"),
    ("digits", "\uff11\uff12\uff13 fullwidth"),

    # Emoji and ZWJ sequences.
    ("emoji", "\U0001f600 smile"),
    ("emoji", "\U0001f468\u200d\U0001f469\u200d\U0001f467 family"),
    ("emoji", "\U0001f3f3\ufe0f\u200d\U0001f308 flag"),
    ("emoji", "\U0001f44d\U0001f3fd thumbs"),
    ("emoji", "\U0001f1ef\U0001f1f5 and \U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"),
    ("emoji", "\u2764\ufe0f love"),

    # Other scripts.
    ("scripts", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8"),
    ("scripts", "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8"),
    ("scripts", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"),
    ("scripts", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e"),
    ("scripts", "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22"),
    ("scripts", "\u05e2\u05d1\u05e8\u05d9\u05ea and \u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439"),

    # Whitespace runs and the Unicode spaces.
    ("whitespace", "  lots   of\t\t\ttabs  \n\n  and   spaces   "),
    ("whitespace", "\u3000ideographic\u3000space\u3000"),
    ("whitespace", "nbsp\xa0here em\u2003space hair\u200aspace narrow\u202fnbsp"),
    ("whitespace", "mongolian\u180evowel medium\u205fmath"),
    ("whitespace", "\x1c\x1d\x1e\x1f separators"),
]


def git_head(path):
    try:
        return subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def load_tokenizer_module(clip_dir):
    path = os.path.join(clip_dir, "clip", "simple_tokenizer.py")
    spec = importlib.util.spec_from_file_location("clip_simple_tokenizer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=DEFAULT_OUT)
    parser.add_argument("--ftfy", required=True, help="a python-ftfy checkout (the folder holding ftfy/)")
    parser.add_argument("--clip", required=True, help="an openai/CLIP checkout (the folder holding clip/)")
    parser.add_argument("--bpe", default=DEFAULT_BPE)
    parser.add_argument("--ftfy-commit", help="the commit of --ftfy when it is not a git checkout")
    parser.add_argument("--clip-commit", help="the commit of --clip when it is not a git checkout")
    args = parser.parse_args()

    sys.path.insert(0, os.path.abspath(args.ftfy))
    import ftfy
    import regex
    if not os.path.abspath(ftfy.__file__).startswith(os.path.abspath(args.ftfy) + os.sep):
        sys.exit(f"imported ftfy from {ftfy.__file__}, not from {args.ftfy}")
    st = load_tokenizer_module(args.clip)
    if st.ftfy is not ftfy:
        sys.exit("simple_tokenizer imported a different ftfy")
    tokenizer = st.SimpleTokenizer(bpe_path=args.bpe)

    ftfy_commit = args.ftfy_commit or git_head(args.ftfy)
    clip_commit = args.clip_commit or git_head(args.clip)
    if not ftfy_commit or not clip_commit:
        sys.exit("could not read the ftfy/CLIP commits; pass --ftfy-commit and --clip-commit")
    with open(args.bpe, "rb") as f:
        bpe_sha256 = hashlib.sha256(f.read()).hexdigest()

    texts = [text for _, text in CASES]
    if len(set(texts)) != len(texts):
        sys.exit("duplicate case texts")
    cases = []
    for category, text in CASES:
        clean = st.whitespace_clean(st.basic_clean(text)).lower()
        cases.append({"category": category, "text": text, "fixed": ftfy.fix_text(text), "clean": clean,
                      "ids": tokenizer.encode(text)})

    header = {"ftfy": ftfy.__version__, "ftfyCommit": ftfy_commit, "clipCommit": clip_commit,
              "python": sys.version.split()[0], "unicodeData": unicodedata.unidata_version,
              "regex": regex.__version__, "bpeSha256": bpe_sha256}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="ascii", newline="\n") as f:
        f.write(json.dumps(header, ensure_ascii=True)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(case, ensure_ascii=True) for case in cases))
        f.write("\n]}\n")

    with open(args.out, encoding="ascii") as f:
        assert json.load(f)["cases"] == cases
    counts = {}
    for case in cases:
        counts[case["category"]] = counts.get(case["category"], 0) + 1
    changed = sum(case["fixed"] != case["text"] for case in cases)
    print(f"{len(cases)} cases -> {args.out}")
    print("per category:", ", ".join(f"{name} {n}" for name, n in counts.items()))
    print(f"ftfy changed {changed} of {len(cases)}; ftfy {ftfy.__version__} @ {ftfy_commit[:12]}, "
          f"CLIP @ {clip_commit[:12]}, Unicode {unicodedata.unidata_version}, regex {regex.__version__}")


if __name__ == "__main__":
    main()
