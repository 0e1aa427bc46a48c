"""Writes the augmentation fixtures that tests/Slip.Training.Tests/AugmentationParityTests.cs checks Slip against.

    /usr/bin/python3 reference/make_augment_fixtures.py tests/Slip.Training.Tests/Fixtures/augment

The reference augments PIL images with torchvision (slip-reference 3.2), so the expected outputs are torchvision's
functional ops on a PIL image, each with fixed parameters: `input.png` (a deterministic textured 80 x 60 image) and
`expected.json` (each op's parameters and its uint8 RGB output). Needs Debian's python3-torchvision and python3-pil.
"""
import json
import os
import sys

import numpy as np
import torchvision
import torchvision.transforms.functional as F
from PIL import Image, ImageFilter


def textured(width=80, height=60, seed=0):
    """Smooth colour gradients, a few hard-edged discs and fine noise: edges, texture and saturated colours."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.stack([128 + 100 * np.sin(x / 9 + c) * np.cos(y / 7 - c) for c in (0.0, 1.3, 2.6)], -1)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(4, 14)
        image[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    image += rng.normal(0, 12, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).round().astype(np.uint8), "RGB")


def main(out):
    os.makedirs(out, exist_ok=True)
    image = textured()
    image.save(os.path.join(out, "input.png"))
    cases = [
        ("resized_crop_down", {"top": 5, "left": 7, "height": 46, "width": 62, "size": 20},
         lambda p: F.resized_crop(image, p["top"], p["left"], p["height"], p["width"], [p["size"], p["size"]])),
        ("resized_crop_up", {"top": 10, "left": 30, "height": 14, "width": 18, "size": 32},
         lambda p: F.resized_crop(image, p["top"], p["left"], p["height"], p["width"], [p["size"], p["size"]])),
        ("eval_view", {"size": 24}, lambda p: F.center_crop(F.resize(image, p["size"]), p["size"])),
        ("brightness", {"factor": 1.3}, lambda p: F.adjust_brightness(image, p["factor"])),
        ("contrast", {"factor": 0.6}, lambda p: F.adjust_contrast(image, p["factor"])),
        ("saturation", {"factor": 1.35}, lambda p: F.adjust_saturation(image, p["factor"])),
        ("hue", {"factor": 0.08}, lambda p: F.adjust_hue(image, p["factor"])),
        ("grayscale", {}, lambda p: F.rgb_to_grayscale(image, num_output_channels=3)),
        ("gaussian_blur", {"sigma": 1.3}, lambda p: image.filter(ImageFilter.GaussianBlur(radius=p["sigma"]))),
        ("gaussian_blur_small", {"sigma": 0.4}, lambda p: image.filter(ImageFilter.GaussianBlur(radius=p["sigma"]))),
        ("hflip", {}, lambda p: F.hflip(image)),
    ]
    expected = {"torchvision": torchvision.__version__, "pillow": Image.__version__, "cases": []}
    for name, params, op in cases:
        result = np.asarray(op(params).convert("RGB"))
        expected["cases"].append({"name": name, "params": params, "shape": list(result.shape), "rgb": result.flatten().tolist()})
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
    print(len(cases), "cases")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/Slip.Training.Tests/Fixtures/augment")
