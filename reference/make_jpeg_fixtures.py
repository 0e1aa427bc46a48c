"""Writes the JPEG decoding fixtures that tests/Slip.Training.Tests/JpegDecodeTests.cs checks Slip's decoder against.

    /usr/bin/python3 reference/make_jpeg_fixtures.py tests/Slip.Training.Tests/Fixtures/jpeg

The reference reads images with PIL (`Image.open(...).convert('RGB')`), so the expected pixels are PIL's: a textured
image of odd size (partial MCUs at the edges) saved as a baseline 4:2:0, a progressive 4:4:4, a greyscale and a
CMYK JPEG (libturbojpeg does not convert CMYK to RGB, so Skia decodes that one), each with `expected.json` holding PIL's RGB decode at full size and at half size through `draft` (libjpeg's DCT
scaling, which Slip uses when the model is small). Needs Debian's python3-pil and python3-numpy.
"""
import json
import os
import sys

import numpy as np
from PIL import Image

from make_augment_fixtures import textured


def main(out):
    os.makedirs(out, exist_ok=True)
    image = textured(width=97, height=61, seed=1)
    files = {
        "baseline-420.jpg": lambda path: image.save(path, quality=90, subsampling=2),
        "progressive-444.jpg": lambda path: image.save(path, quality=85, subsampling=0, progressive=True),
        "grey.jpg": lambda path: image.convert("L").save(path, quality=90),
        "cmyk.jpg": lambda path: image.convert("CMYK").save(path, quality=90),
    }
    expected = {"pillow": Image.__version__, "cases": []}
    for name, save in files.items():
        path = os.path.join(out, name)
        save(path)
        for half in (False, True):
            decoded = Image.open(path)
            if half:
                decoded.draft("RGB", (decoded.size[0] // 2, decoded.size[1] // 2))
            rgb = np.asarray(decoded.convert("RGB"))
            expected["cases"].append({"file": name, "half": half, "shape": list(rgb.shape), "rgb": rgb.flatten().tolist()})
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
    print(len(expected["cases"]), "cases")


if __name__ == "__main__":
    main(sys.argv[1])
