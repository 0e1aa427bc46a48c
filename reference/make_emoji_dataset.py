"""Builds a captioned, labelled image set from emoji artwork for the CLIP-vs-SLIP comparison (issue 17).

    /usr/bin/python3 reference/make_emoji_dataset.py CACHE OUT [--vendors google,twitter,openmoji,fluent3d]
        [--skin-tones none|one|all] [--size 64] [--captions-per-image 1] [--seed 0] [--val 0.15] [--test 0.15]

(scripts/make-emoji-dataset.sh checks the Debian packages it needs and calls it.)

Sources, all from the npm registry at pinned versions, fetched with `npm pack` into CACHE unless already there and read
straight from the tarballs (nothing is unpacked):
- images, one style per vendor: Google Noto (emoji-datasource-google, Apache-2.0), Twemoji (emoji-datasource-twitter,
  CC BY 4.0), OpenMoji (openmoji, SVG rendered with the system's librsvg, CC BY-SA 4.0), Microsoft Fluent 3D
  (@lobehub/fluent-emoji-3d, MIT); opt-in, for private research only: apple (not licensed for commercial use) and
  facebook (no clear licence);
- the emoji list, CLDR groups and subgroups and Slack/GitHub short names: emoji-datasource's emoji.json (MIT);
- captions: Unicode CLDR English names and keywords (cldr-annotations-full, cldr-annotations-derived-full; Unicode
  licence v3), the short names, and OpenMoji's designers' own tags on OpenMoji images.

OUT gets:
- train/, val/, test/: ImageFolder layout, one folder per class (CLDR subgroups merged into CLASSES below) and a
  classes.json with readable names and zero-shot templates; PNG, SIZE x SIZE RGB, alpha composited on white;
- train.csv, val.csv, test.csv: `filepath,title` (Slip's and open_clip's default columns), paths relative to OUT,
  pointing at the same PNGs; captions drawn from the real annotations with a seeded RNG (`--captions-per-image` rows
  per image);
- metadata.jsonl (one line per image: split, class, vendor, code point sequence, concept, CLDR name and keywords),
  stats.json (counts), dataset.json (the registration for Slip's POST /api/datasets), LICENSES/ (the packages' licence files) and ATTRIBUTION.md.

Splits are by concept, never by image: a concept is the code point sequence less skin tones, gender signs, hair styles,
direction arrows and variation selectors, with man/woman/person (and boy/girl/child, old man/woman/person) made one.
Concepts whose Google images are pixel-identical (flags of one design: Norway, Svalbard, Bouvet Island) are one concept
too. So every vendor's drawing of a concept, its skin tones and its gendered forms land in the same split. Within each
class the concepts are ordered by a salted SHA-1 (independent of --seed) and cut into test, val and train in that
order: deterministic, stratified, and stable while the emoji list is.
"""
import argparse
import csv
import ctypes
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter, defaultdict

from PIL import Image

PACKAGES = {
    "meta": "emoji-datasource-google@16.0.0",
    "cldr": "cldr-annotations-full@48.2.0",
    "cldr-derived": "cldr-annotations-derived-full@48.2.0",
    "google": "emoji-datasource-google@16.0.0",
    "twitter": "emoji-datasource-twitter@16.0.0",
    "apple": "emoji-datasource-apple@16.0.0",
    "facebook": "emoji-datasource-facebook@16.0.0",
    "openmoji": "openmoji@17.0.0",
    "fluent3d": "@lobehub/fluent-emoji-3d@1.1.0",
}
LICENCES = {
    "google": "Noto Emoji images (via emoji-datasource-google): Apache License 2.0, Copyright Google Inc.",
    "twitter": "Twemoji graphics (via emoji-datasource-twitter): CC BY 4.0, Copyright Twitter, Inc. and other "
               "contributors (https://creativecommons.org/licenses/by/4.0/).",
    "openmoji": "All emojis designed by OpenMoji - the open-source emoji and icon project (https://openmoji.org/). "
                "License: CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). These images were "
                "rasterised, resized and composited on white; adaptations must be shared under CC BY-SA 4.0.",
    "fluent3d": "Fluent Emoji (3D) by Microsoft (via @lobehub/fluent-emoji-3d): MIT licence.",
    "apple": "Apple images, Copyright Apple Inc.: NOT licensed for commercial use (emoji-datasource README).",
    "facebook": "Facebook images, Copyright Facebook, Inc.: no clear licensing (emoji-datasource README).",
}
STYLE_WORDS = {
    "google": ["noto", "google", "android"], "twitter": ["twemoji", "twitter"], "openmoji": ["openmoji", "outline"],
    "fluent3d": ["fluent", "3d", "microsoft"], "apple": ["apple", "ios"], "facebook": ["facebook", "messenger"],
}

# CLDR subgroup -> (class folder, readable class name). Every class holds at least 27 concepts.
CLASSES = {}
for folder, name, subgroups in [
    ("face", "face", "face-smiling, face-affection, face-tongue, face-hand, face-neutral-skeptical, face-sleepy, "
                     "face-unwell, face-hat, face-glasses, face-concerned, face-negative, face-costume, cat-face, "
                     "monkey-face"),
    ("heart", "heart or emotion", "heart, emotion"),
    ("hand", "hand or body part", "hand-fingers-open, hand-fingers-partial, hand-single-finger, hand-fingers-closed, "
                                  "hands, hand-prop, body-parts"),
    ("person", "person", "person, person-gesture, person-role, person-fantasy, person-symbol, family"),
    ("person_activity", "person doing something", "person-activity, person-sport, person-resting"),
    ("mammal", "mammal", "animal-mammal"),
    ("small_animal", "bird, reptile, sea animal or bug", "animal-bird, animal-amphibian, animal-reptile, "
                                                         "animal-marine, animal-bug"),
    ("plant", "plant or flower", "plant-flower, plant-other"),
    ("fruit_vegetable", "fruit or vegetable", "food-fruit, food-vegetable"),
    ("dish", "dish or sweet", "food-prepared, food-asian, food-sweet"),
    ("drink", "drink or tableware", "drink, dishware"),
    ("vehicle", "vehicle", "transport-ground, transport-air, transport-water"),
    ("place", "place or building", "place-map, place-geographic, place-building, place-religious, place-other, hotel"),
    ("weather", "sky or weather", "sky & weather"),
    ("time", "clock or time", "time"),
    ("sport", "sport", "sport, award-medal"),
    ("game", "game, party or craft", "game, event, arts & crafts"),
    ("clothing", "clothing", "clothing"),
    ("music", "music or sound", "music, musical-instrument, sound"),
    ("device", "electronic device", "phone, computer, light & video"),
    ("office", "office or paper", "office, book-paper, mail, writing"),
    ("tool", "tool", "tool, science, medical, lock"),
    ("household", "household object or money", "household, money, other-object"),
    ("alphanumeric", "letter, number or sign", "alphanum, keycap, punctuation, math, currency"),
    ("shape", "geometric shape", "geometric"),
    ("arrow", "arrow or button", "arrow, av-symbol"),
    ("symbol", "sign or symbol", "transport-sign, warning, religion, zodiac, gender, other-symbol"),
    ("flag", "flag", "country-flag, flag, subdivision-flag"),
]:
    for subgroup in subgroups.split(", "):
        CLASSES[subgroup] = (folder, name)
SKIPPED_SUBGROUPS = {"skin-tone"}
TEMPLATES = ["{}", "{} emoji", "an emoji of {}", "{} icon", "a drawing of {}"]

TONES = {"1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF"}
PEOPLE = {"1F468": "ADULT", "1F469": "ADULT", "1F9D1": "ADULT", "1F466": "CHILD", "1F467": "CHILD", "1F9D2": "CHILD",
          "1F474": "OLDER", "1F475": "OLDER", "1F9D3": "OLDER"}
MODIFIERS = {"2640", "2642", "27A1", "1F9B0", "1F9B1", "1F9B2", "1F9B3"}  # gender, facing right, hair styles
SAME_DESIGN = [("1F1EE-1F1E9", "1F1F2-1F1E8")]  # Indonesia and Monaco: one design in Twemoji and OpenMoji
SPLIT_SALT = "slip-emoji-split-v1"
MIT = """MIT License

Copyright (c) {}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def concept(unified):
    """The concept a code point sequence draws: skin tones, gender, hair and direction dropped; people merged."""
    parts = unified.upper().split("-200D-")
    out = []
    for part in parts:
        cps = [c for c in part.split("-") if c != "FE0F" and c not in TONES]
        if len(parts) > 1 and len(cps) == 1 and cps[0] in MODIFIERS:
            continue
        out.append("-".join(PEOPLE.get(c, c) for c in cps))
    return "+".join(out)


def chars(unified):
    return "".join(chr(int(h, 16)) for h in unified.split("-"))


def fetch(spec, cache):
    """The tarball of an npm package (name@version) in cache, packed with `npm pack` when it is not there yet."""
    name, version = spec.rsplit("@", 1)
    path = os.path.join(cache, f"{name.lstrip('@').replace('/', '-')}-{version}.tgz")
    if not os.path.exists(path):
        print(f"npm pack {spec}", file=sys.stderr)
        subprocess.run(["npm", "pack", spec, "--pack-destination", cache, "--silent"], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def members(tgz, keep):
    """{member name: bytes} for the members of a .tgz whose name passes keep (one sequential pass)."""
    out = {}
    with tarfile.open(tgz, "r:gz") as tar:
        for m in tar:
            if m.isfile() and keep(m.name):
                out[m.name] = tar.extractfile(m).read()
    return out


class Svg:
    """SVG to RGBA through the system's librsvg and cairo (Debian's librsvg2-2), with ctypes: no Python package."""

    class Rect(ctypes.Structure):
        _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double), ("w", ctypes.c_double), ("h", ctypes.c_double)]

    def __init__(self):
        self.rsvg, self.cairo = ctypes.CDLL("librsvg-2.so.2"), ctypes.CDLL("libcairo.so.2")
        self.gobject = ctypes.CDLL("libgobject-2.0.so.0")
        r, c, p = self.rsvg, self.cairo, ctypes.c_void_p
        r.rsvg_handle_new_from_data.restype = p
        r.rsvg_handle_new_from_data.argtypes = [ctypes.c_char_p, ctypes.c_size_t, p]
        r.rsvg_handle_render_document.argtypes = [p, p, ctypes.POINTER(Svg.Rect), p]
        c.cairo_image_surface_create.restype = p
        c.cairo_create.restype, c.cairo_create.argtypes = p, [p]
        c.cairo_image_surface_get_data.restype = ctypes.POINTER(ctypes.c_ubyte)
        for f in ("cairo_image_surface_get_data", "cairo_image_surface_get_stride", "cairo_surface_flush",
                  "cairo_surface_destroy", "cairo_destroy"):
            getattr(c, f).argtypes = [p]
        self.gobject.g_object_unref.argtypes = [p]

    def render(self, data, size):
        handle = self.rsvg.rsvg_handle_new_from_data(data, len(data), None)
        if not handle:
            raise ValueError("librsvg could not parse the SVG")
        surface = self.cairo.cairo_image_surface_create(0, size, size)  # CAIRO_FORMAT_ARGB32, premultiplied
        cr = self.cairo.cairo_create(surface)
        ok = self.rsvg.rsvg_handle_render_document(handle, cr, ctypes.byref(Svg.Rect(0, 0, size, size)), None)
        self.cairo.cairo_surface_flush(surface)
        stride = self.cairo.cairo_image_surface_get_stride(surface)
        raw = ctypes.string_at(self.cairo.cairo_image_surface_get_data(surface), stride * size)
        image = Image.frombuffer("RGBA", (size, size), raw, "raw", "BGRa", stride, 1).copy()
        self.cairo.cairo_destroy(cr)
        self.cairo.cairo_surface_destroy(surface)
        self.gobject.g_object_unref(handle)
        if not ok:
            raise ValueError("librsvg could not render the SVG")
        return image


def on_white(image, size):
    image = image.convert("RGBA")
    if image.size != (size, size):
        image.thumbnail((size, size), Image.LANCZOS)
        padded = Image.new("RGBA", (size, size), (255, 255, 255, 0))
        padded.paste(image, ((size - image.size[0]) // 2, (size - image.size[1]) // 2))
        image = padded
    white = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    white.alpha_composite(image)
    return white.convert("RGB")


def caption(rng, item, vendor):
    """One caption from the real annotations: the CLDR name, keywords, short names, OpenMoji's tags, the style."""
    name, keywords = item["name"], list(item["keywords"])
    if vendor == "openmoji":
        keywords += item["openmoji_tags"]
    name_words = set(re.findall(r"[\w'-]+", name.lower()))
    extra = list(dict.fromkeys(k for k in keywords if k.lower() not in name_words and k.lower() not in name.lower()))
    aliases = [s for s in item["short_names"] if s.replace("_", " ").replace("-", " ") != name.lower()]

    def some(lo, hi, pool):
        return rng.sample(pool, min(len(pool), rng.randint(lo, hi)))

    r = rng.random()
    if r < 0.25 or (r < 0.60 and not extra):
        text = name
    elif r < 0.45:
        text = f"{name}, {', '.join(some(1, 4, extra))}"
    elif r < 0.60:
        words = some(2, 5, extra + [name])
        text = rng.choice([", ", " ", " "]).join(words)
    elif r < 0.70 and aliases:
        alias = rng.choice(aliases)
        text = rng.choice([f":{alias}:", alias.replace("_", " "), f"{alias.replace('_', ' ')} ({name})"])
    elif r < 0.82:
        text = rng.choice(["{} emoji", "emoji: {}", "{} icon", "emoji of {}", "{} sticker", "{} clipart"]).format(name)
    elif r < 0.92:
        style = rng.choice(STYLE_WORDS[vendor])
        text = rng.choice(["{s} {n}", "{n} ({s})", "{n}, {s} style", "{s} emoji {n}"]).format(s=style, n=name)
    else:
        text = f"{name}: {' '.join(some(1, 3, extra))}" if extra else name
    return text.strip()


def merge_identical(entries, google):
    """concept -> representative concept, joining concepts whose Google images are the same pixels (flags of the same
    design, such as Norway, Svalbard and Bouvet Island) and the few SAME_DESIGN pairs other vendors draw alike."""
    parent = {}

    def find(c):
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    first = {}
    for entry in entries:
        for v in [entry] + list((entry.get("skin_variations") or {}).values()):
            data = google.get(f"package/img/google/64/{v['image']}")
            if data is not None:
                key = hashlib.sha1(on_white(Image.open(io.BytesIO(data)), 64).tobytes()).hexdigest()
                a, b = find(concept(v["unified"])), find(first.setdefault(key, concept(v["unified"])))
                parent[max(a, b)] = min(a, b)
    for a, b in SAME_DESIGN:
        a, b = find(a), find(b)
        parent[max(a, b)] = min(a, b)
    return find


def load_items(cache, skin_tones):
    files = members(fetch(PACKAGES["meta"], cache),
                    lambda n: n == "package/emoji.json" or n.startswith("package/img/google/64/"))
    meta = files["package/emoji.json"]
    same = merge_identical(json.loads(meta), files)
    cldr = json.loads(members(fetch(PACKAGES["cldr"], cache),
                              lambda n: n == "package/annotations/en/annotations.json").popitem()[1])
    derived = json.loads(members(fetch(PACKAGES["cldr-derived"], cache),
                                 lambda n: n == "package/annotationsDerived/en/annotations.json").popitem()[1])
    annotations = dict(derived["annotationsDerived"]["annotations"])
    annotations.update(cldr["annotations"]["annotations"])
    items, concept_class = [], {}
    for entry in json.loads(meta):
        if entry["subcategory"] in SKIPPED_SUBGROUPS:
            continue
        folder, class_name = CLASSES[entry["subcategory"]]
        for unified in [entry["unified"]] + [v["unified"] for v in (entry.get("skin_variations") or {}).values()]:
            concept_class.setdefault(same(concept(unified)), folder)
        variants = [(entry["unified"], entry)]
        tones = [v for _, v in sorted((entry.get("skin_variations") or {}).items())]
        single = [v for t, v in sorted((entry.get("skin_variations") or {}).items()) if "-" not in t]
        if skin_tones == "one" and single:  # one single-tone variant, the same for every vendor
            pick = single[int(hashlib.sha1(entry["unified"].encode()).hexdigest(), 16) % len(single)]
            variants.append((pick["unified"], pick))
        elif skin_tones == "all":
            variants += [(v["unified"], v) for v in tones]
        for unified, source in variants:
            text = chars(unified).replace("\ufe0f", "")
            annotation = annotations.get(text) or {"tts": [entry["name"].lower()], "default": []}
            items.append({
                "code": unified.lower(), "image": source["image"], "concept": same(concept(unified)),
                "class": folder, "class_name": class_name, "group": entry["category"],
                "subgroup": entry["subcategory"], "name": annotation["tts"][0],
                "keywords": annotation.get("default", []), "short_names": entry["short_names"],
                "has": {v: source.get(f"has_img_{v}", False) for v in ("google", "twitter", "apple", "facebook")},
                "openmoji_tags": [],
            })
    return items, concept_class


def assign_splits(concept_class, val, test):
    """concept -> split, stratified by class: per class, concepts by salted hash, the first cut is test, then val.
    concept_class covers every emoji and skin tone, so the splits do not depend on --skin-tones or --vendors."""
    by_class = defaultdict(set)
    for c, k in concept_class.items():
        by_class[k].add(c)
    split = {}
    for k, concepts in by_class.items():
        ordered = sorted(concepts, key=lambda c: hashlib.sha1(f"{SPLIT_SALT}|{c}".encode()).hexdigest())
        n_test, n_val = max(1, round(len(ordered) * test)), max(1, round(len(ordered) * val))
        for i, c in enumerate(ordered):
            split[c] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return split


def vendor_images(vendor, cache, items, svg):
    """{code: PIL image, or (Svg, SVG bytes) for OpenMoji} for the items this vendor draws."""
    if vendor in ("google", "twitter", "apple", "facebook"):
        prefix = f"package/img/{vendor}/64/"
        files = members(fetch(PACKAGES[vendor], cache), lambda n: n.startswith(prefix))
        return {it["code"]: Image.open(io.BytesIO(files[prefix + it["image"]])) for it in items
                if it["has"][vendor] and prefix + it["image"] in files}
    if vendor == "fluent3d":
        files = members(fetch(PACKAGES[vendor], cache), lambda n: n.startswith("package/assets/"))
        by_key = {n[len("package/assets/"):-len(".webp")].replace("-fe0f", ""): d for n, d in files.items()}
        return {it["code"]: Image.open(io.BytesIO(by_key[it["code"].replace("-fe0f", "")])) for it in items
                if it["code"].replace("-fe0f", "") in by_key}
    if vendor == "openmoji":
        files = members(fetch(PACKAGES[vendor], cache),
                        lambda n: n.startswith("package/color/svg/") or n == "package/data/openmoji.json")
        data = {e["hexcode"].replace("-FE0F", ""): e for e in json.loads(files["package/data/openmoji.json"])}
        out = {}
        for it in items:
            key = it["code"].upper().replace("-FE0F", "")
            if key in data and f"package/color/svg/{data[key]['hexcode']}.svg" in files:
                it["openmoji_tags"] = [t.strip() for t in data[key]["openmoji_tags"].split(",") if t.strip()]
                out[it["code"]] = (svg, files[f"package/color/svg/{data[key]['hexcode']}.svg"])
        return out
    raise SystemExit(f"unknown vendor {vendor!r}; known: {', '.join(STYLE_WORDS)}")


def licence_files(vendor, cache):
    tgz = fetch(PACKAGES[vendor], cache)
    return members(tgz, lambda n: re.fullmatch(r"package/(LICEN[CS]E[^/]*|README\.md)", n) is not None)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cache")
    p.add_argument("out")
    p.add_argument("--vendors", default="google,twitter,openmoji,fluent3d")
    p.add_argument("--skin-tones", choices=["none", "one", "all"], default="one",
                   help="per emoji with skin tones: the yellow one only, plus one single-tone variant, or all")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--captions-per-image", type=int, default=1)
    p.add_argument("--seed", type=int, default=0, help="the captions' seed (the splits do not depend on it)")
    p.add_argument("--val", type=float, default=0.15)
    p.add_argument("--test", type=float, default=0.15)
    a = p.parse_args()
    start = time.time()
    vendors = [v.strip() for v in a.vendors.split(",") if v.strip()]
    for v in vendors:
        if v not in STYLE_WORDS:
            raise SystemExit(f"unknown vendor {v!r}; known: {', '.join(STYLE_WORDS)}")
        if v in ("apple", "facebook"):
            print(f"warning: {LICENCES[v]} Keep this data set private.", file=sys.stderr)
    os.makedirs(a.cache, exist_ok=True)
    if os.path.exists(a.out):
        for sub in ("train", "val", "test", "LICENSES"):
            shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)
    os.makedirs(a.out, exist_ok=True)

    items, concept_class = load_items(a.cache, a.skin_tones)
    split_of = assign_splits(concept_class, a.val, a.test)
    classes = sorted({(it["class"], it["class_name"]) for it in items})
    svg = Svg() if "openmoji" in vendors else None

    rows = defaultdict(list)
    counts = Counter()
    with open(os.path.join(a.out, "metadata.jsonl"), "w", encoding="utf-8") as meta:
        for vendor in vendors:
            images = vendor_images(vendor, a.cache, items, svg)
            for it in items:
                if it["code"] not in images:
                    continue
                source = images[it["code"]]
                image = source[0].render(source[1], a.size) if isinstance(source, tuple) else source
                split = split_of[it["concept"]]
                rel = f"{split}/{it['class']}/{vendor}-{it['code']}.png"
                os.makedirs(os.path.join(a.out, split, it["class"]), exist_ok=True)
                on_white(image, a.size).save(os.path.join(a.out, rel), optimize=True)
                captions = []
                for k in range(a.captions_per_image):
                    rng = random.Random(f"{a.seed}|{vendor}|{it['code']}|{k}")
                    captions.append(caption(rng, it, vendor))
                    rows[split].append((rel, captions[-1]))
                counts[(split, it["class"], vendor)] += 1
                meta.write(json.dumps({"path": rel, "split": split, "class": it["class"], "vendor": vendor,
                                       "code": it["code"], "emoji": chars(it["code"].upper()), "concept": it["concept"],
                                       "group": it["group"], "subgroup": it["subgroup"], "name": it["name"],
                                       "keywords": it["keywords"], "short_names": it["short_names"],
                                       "openmoji_tags": it["openmoji_tags"] if vendor == "openmoji" else [],
                                       "captions": captions}, ensure_ascii=False) + "\n")

    for split in ("train", "val", "test"):
        with open(os.path.join(a.out, f"{split}.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["filepath", "title"])
            w.writerows(rows[split])
        for folder, _ in classes:  # every split lists every class, so labels line up across splits
            os.makedirs(os.path.join(a.out, split, folder), exist_ok=True)
        with open(os.path.join(a.out, split, "classes.json"), "w", encoding="utf-8") as f:
            json.dump({"classes": [n for _, n in classes], "templates": TEMPLATES}, f, indent=1)

    lic = os.path.join(a.out, "LICENSES")
    os.makedirs(lic, exist_ok=True)
    labels = {"meta": "emoji-datasource", "cldr": "cldr-annotations", "openmoji": "openmoji"}
    for source in [s for s in labels if s in vendors or s != "openmoji"]:
        for name, data in licence_files(source, a.cache).items():
            if "LICEN" in name:
                with open(os.path.join(lic, f"{labels[source]}-{os.path.basename(name)}"), "wb") as f:
                    f.write(data)
    if "fluent3d" in vendors:  # the package ships no licence file; the artwork's (microsoft/fluentui-emoji) is MIT
        with open(os.path.join(lic, "fluent3d-LICENSE"), "w") as f:
            f.write(MIT.format("Microsoft Corporation"))
    if "google" in vendors and os.path.exists("/usr/share/common-licenses/Apache-2.0"):  # Noto Emoji's artwork
        shutil.copy("/usr/share/common-licenses/Apache-2.0", os.path.join(lic, "google-noto-Apache-2.0"))
    with open(os.path.join(a.out, "ATTRIBUTION.md"), "w", encoding="utf-8") as f:
        f.write("# Emoji image-text set: sources and licences\n\nBuilt locally by reference/make_emoji_dataset.py from "
                "these npm packages: " + ", ".join(dict.fromkeys(PACKAGES[v] for v in ["meta", "cldr", "cldr-derived"]
                                                                 + vendors))
                + ".\n\n" + "".join(f"- {LICENCES[v]}\n" for v in vendors)
                + "- Captions: Unicode CLDR annotations, Copyright Unicode, Inc., Unicode License v3; short names "
                  "from emoji-datasource (MIT, Copyright Cal Henderson)"
                + ("; OpenMoji tags (CC BY-SA 4.0).\n" if "openmoji" in vendors else ".\n"))

    per_split = Counter()
    per_class = defaultdict(Counter)
    per_vendor = defaultdict(Counter)
    for (split, k, vendor), n in counts.items():
        per_split[split] += n
        per_class[k][split] += n
        per_vendor[vendor][split] += n
    concepts = Counter(split_of[c] for c in {it["concept"] for it in items})
    stats = {"seconds": round(time.time() - start, 1), "vendors": vendors, "skin_tones": a.skin_tones,
             "size": a.size, "images": dict(per_split), "concepts": dict(concepts),
             "csv_rows": {s: len(r) for s, r in rows.items()},
             "per_vendor": {v: dict(c) for v, c in per_vendor.items()},
             "per_class": {k: dict(per_class[k]) for k, _ in classes},
             "class_names": {k: n for k, n in classes}}
    with open(os.path.join(a.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    # The body of POST /api/datasets: the captions to train on, and the concept-disjoint val and test image folders
    # that runs on it validate (and sweeps select) and test on.
    registration = {
        "name": "emoji",
        "description": f"{len(vendors)} emoji vendors' artwork with CLDR captions, {len(classes)} classes, concept-disjoint splits "
                       f"({per_split['train']} / {per_split['val']} / {per_split['test']} images); built by scripts/make-emoji-dataset.sh",
        "source": {"format": "csv", "path": os.path.join(a.out, "train.csv")},
        "val": {"format": "imagefolder", "path": os.path.join(a.out, "val")},
        "test": {"format": "imagefolder", "path": os.path.join(a.out, "test")},
    }
    with open(os.path.join(a.out, "dataset.json"), "w") as f:
        json.dump(registration, f, indent=1)

    print(f"{'class':18s} {'train':>6s} {'val':>6s} {'test':>6s}")
    for k, _ in classes:
        c = per_class[k]
        print(f"{k:18s} {c['train']:6d} {c['val']:6d} {c['test']:6d}")
    print(f"{'images':18s} {per_split['train']:6d} {per_split['val']:6d} {per_split['test']:6d}")
    print(f"{'concepts':18s} {concepts['train']:6d} {concepts['val']:6d} {concepts['test']:6d}")
    for v in vendors:
        c = per_vendor[v]
        print(f"{v:18s} {c['train']:6d} {c['val']:6d} {c['test']:6d}")
    print(f"{len(classes)} classes; CSV rows {dict((s, len(r)) for s, r in rows.items())}; "
          f"{stats['seconds']} s; written to {a.out}")


if __name__ == "__main__":
    main()
