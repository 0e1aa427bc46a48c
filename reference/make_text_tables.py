"""Writes the Python standard-library tables that Slip's port of CLIP's text cleaning needs, as one JSON file.

    /usr/bin/python3 reference/make_text_tables.py Slip.Training/Datasets/Text/python-text-tables.json

CLIP's tokenizer cleans text with ftfy 6.3.1's `fix_text`, Python's `html.unescape` (twice) and `str.lower`
(see Slip.Training/Datasets/Text/README.md). Those steps read tables that live in Python's standard library, and
deriving them again from .NET (its code pages, ICU's case mappings) would differ in small ways, so they are dumped
here once, with the standard library only, and embedded in Slip.Training.dll:

- `charmaps`: for each single-byte codec ftfy tries (in its order), the 256 characters that bytes 0x00-0xFF decode
  to. `latin-1`, `iso-8859-2`, `macroman` (Python's `mac_roman`) and `cp437` are Python's codecs; the
  `sloppy-windows-125x` ones are built the way ftfy's sloppy codecs are: Latin-1 overwritten by Python's cp125x
  codec wherever that codec defines the byte, then byte 0x1A decodes to U+FFFD.
- `html5`: `html.entities.html5` (the WHATWG entity names, with and without the trailing semicolon).
- `html5Upper`: the extra ALL-CAPS names ftfy's unescaping accepts: for each lower-case name that ends in ';',
  the upper-cased name maps to the upper-cased value (Python's full `str.upper`), unless `html.unescape` already
  decodes that upper-cased name (fully or by a legacy prefix such as `&LT`).
- `invalidCharrefs`, `invalidCodepoints`: `html._invalid_charrefs` and `html._invalid_codepoints`, the numeric
  character-reference rules of `html.unescape`.
- `lower`: `chr(c).lower()` for every code point where it differs from `chr(c)`.
- `cased`, `caseIgnorable`: the Cased and Case_Ignorable properties `str.lower` consults for the final sigma,
  read off the behaviour of `str.lower` itself (the standard library does not expose them directly).
- `isSpace`: the code points where `str.isspace()` is true (Unicode White_Space plus U+001C-U+001F).
- `widthMap`: ftfy's width table: U+3000 to a space, and every U+FF01-U+FFEF whose NFKC form differs to that form.

Ranges are [first, last] pairs of code points; maps are [code point, text] pairs, in code-point order.
The JSON is written with ensure_ascii=True.
"""
import html
import html.entities
import json
import sys
import unicodedata

MAX = 0x110000
CODECS = [
    ("latin-1", "latin-1", False),
    ("sloppy-windows-1252", "cp1252", True),
    ("sloppy-windows-1251", "cp1251", True),
    ("sloppy-windows-1250", "cp1250", True),
    ("sloppy-windows-1253", "cp1253", True),
    ("sloppy-windows-1254", "cp1254", True),
    ("sloppy-windows-1257", "cp1257", True),
    ("iso-8859-2", "iso-8859-2", False),
    ("macroman", "mac_roman", False),
    ("cp437", "cp437", False),
]


def charmap(codec, sloppy):
    chars = []
    for b in range(256):
        try:
            chars.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            if not sloppy:
                raise
            chars.append(chr(b))
    if sloppy:
        chars[0x1A] = "\ufffd"
    assert all(len(c) == 1 for c in chars) and len(set(chars)) == 256, codec
    return "".join(chars)


def ranges(predicate):
    out = []
    for c in range(MAX):
        if predicate(c):
            if out and out[-1][1] == c - 1:
                out[-1][1] = c
            else:
                out.append([c, c])
    return out


def upper_entities():
    extra = {}
    for name, value in html.entities.html5.items():
        if name.endswith(";") and name == name.lower():
            upper = "&" + name.upper()
            if html.unescape(upper) == upper:
                extra[name.upper()] = value.upper()
    return dict(sorted(extra.items()))


def is_cased(c):
    ch = chr(c)
    return ch.islower() or ch.isupper() or ch.istitle()


def is_case_ignorable(c):
    # str.lower maps a capital sigma to the final form when a cased letter precedes it (skipping case-ignorable
    # characters) and none follows. A cased c before the sigma is skipped only if it is case-ignorable; an uncased c
    # between the sigma and a following cased letter hides that letter unless it is case-ignorable.
    ch = chr(c)
    if is_cased(c):
        return (ch + "\u03a3").lower()[-1] == "\u03c3"
    return ("A\u03a3" + ch + "A").lower()[1] == "\u03c3"


def dumps(value, depth=0):
    """JSON with one table entry a line (diff-friendly), ASCII only."""
    compact = lambda v: json.dumps(v, ensure_ascii=True, separators=(",", ":"))
    if depth == 0:
        body = ",\n".join(f"{compact(k)}:{dumps(v, 1)}" for k, v in value.items())
        return "{\n" + body + "\n}"
    if isinstance(value, dict):
        return "{\n" + ",\n".join(f"{compact(k)}:{compact(v)}" for k, v in value.items()) + "\n}"
    if isinstance(value, list):
        return "[\n" + ",\n".join(compact(v) for v in value) + "\n]"
    return compact(value)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "python-text-tables.json"
    width = {0x3000: " "}
    for c in range(0xFF01, 0xFFF0):
        nfkc = unicodedata.normalize("NFKC", chr(c))
        if nfkc != chr(c):
            width[c] = nfkc
    tables = {
        "python": sys.version.split()[0],
        "unicodeData": unicodedata.unidata_version,
        "charmaps": {name: charmap(codec, sloppy) for name, codec, sloppy in CODECS},
        "html5": dict(sorted(html.entities.html5.items())),
        "html5Upper": upper_entities(),
        "invalidCharrefs": [[n, s] for n, s in sorted(html._invalid_charrefs.items())],
        "invalidCodepoints": ranges(lambda c: c in html._invalid_codepoints),
        "lower": [[c, chr(c).lower()] for c in range(MAX) if chr(c).lower() != chr(c)],
        "cased": ranges(is_cased),
        "caseIgnorable": ranges(is_case_ignorable),
        "isSpace": ranges(lambda c: chr(c).isspace()),
        "widthMap": [[c, s] for c, s in sorted(width.items())],
    }
    with open(out, "w", encoding="ascii") as f:
        f.write(dumps(tables) + "\n")
    print(f"wrote {out}: {len(tables['html5'])} entities (+{len(tables['html5Upper'])} upper), "
          f"{len(tables['lower'])} lower-case mappings, Unicode {tables['unicodeData']}")


if __name__ == "__main__":
    main()
