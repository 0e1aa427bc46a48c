"""Writes the fixtures that check Slip's `embed` command against the SLIP reference's evaluation transform and image tower.

    /usr/bin/python3 reference/make_embed_fixtures.py tests/Slip.Training.Tests/Fixtures/embed

The reference loads an image with `Image.open(f).convert('RGB')` (PIL: alpha dropped without compositing, palette
looked up, grey replicated) and evaluates it through torchvision's `Resize(S)` (PIL bilinear, antialiased; short side
S, long side `int(S * long / short)`), `CenterCrop(S)` (offset `int(round((h - S) / 2.0))`, round half to even),
`ToTensor` and `Normalize(mean, std)`. Written here: deterministic textured images (`textured()` from
make_augment_fixtures.py) as PNG in the modes RGB, L, P, P with tRNS alpha, RGBA and LA, sizes that cover portrait,
landscape, a long strip, upscaling, exactly S x S and centre-crop offsets of x.5 (rounded down from an even floor and
up from an odd one), plus one baseline JPEG (quality 90, 4:2:0, flagged lossy: another decoder may differ by a level);
`eval16.npy` (float32 [N, 3, 16, 16], every image at S = 16, the Micro size of
Fixtures/parity/published_style_checkpoint.pt) and `pixels16.npy` (uint8, the same crops before ToTensor);
`eval224.npy` (uint8 [2, 3, 224, 224], the crops at S = 224 of the images listed under "eval224": stored as pixels to
keep the folder small, their float tensor is float32((float32(u) / 255 - mean) / std), which the script asserts
bit for bit); `image_embeddings.npy` (float32 [N, 32], the reference Micro SLIP model's `encode_image` on eval16,
loaded from the released-style checkpoint, L2-normalised); and `manifest.json` (per image: mode, size, resized [h, w]
and crop [top, left] at S = 16, lossy; mean, std and library versions). Needs Debian's python3-torch,
python3-torchvision and python3-pil.
"""
import json
import os
import sys
import warnings

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slip_model as ref  # noqa: E402
from make_augment_fixtures import textured  # noqa: E402
from make_fixtures import MICRO  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
SIZE = MICRO["imageSize"]  # 16
CHECKPOINT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Slip.Training.Tests", "Fixtures",
                          "parity", "published_style_checkpoint.pt")
EVAL224 = ["rgb_55x110.png", "rgb_45x31_half.png"]


def alpha_ramp(width, height):
    """Alpha from 0 (left column) to 255 (right column), with a fully transparent and a fully opaque band."""
    x = np.tile(np.linspace(0, 255, width).round().astype(np.uint8), (height, 1))
    x[: height // 6] = 0
    x[-(height // 6):] = 255
    return Image.fromarray(x, "L")


def images():
    """(file name, PIL image to save, save options, lossy). Seeds differ so every image has its own texture."""
    rgba = textured(40, 40, seed=5).convert("RGBA")
    rgba.putalpha(alpha_ramp(40, 40))
    la = Image.merge("LA", (textured(30, 45, seed=6).convert("L"), alpha_ramp(30, 45)))
    p_trns = textured(33, 20, seed=10).convert("P", palette=Image.ADAPTIVE, colors=64)
    trns = bytes(int(a) for a in np.linspace(0, 255, 64).round())  # per-entry tRNS alpha, index 0 fully transparent
    return [
        ("rgb_55x110.png", textured(55, 110, seed=1), {}, False),  # portrait, 16 x 32 at S = 16
        ("rgb_110x55.png", textured(110, 55, seed=2), {}, False),  # landscape
        ("rgb_37x300.png", textured(37, 300, seed=3), {}, False),  # long strip: 129 rows, top 56.5 -> 56
        ("l_64x48.png", textured(64, 48, seed=4).convert("L"), {}, False),  # greyscale: 21 cols, left 2.5 -> 2
        ("p_50x70.png", textured(50, 70, seed=7).convert("P", palette=Image.ADAPTIVE), {}, False),  # palette
        ("rgba_40x40.png", rgba, {}, False),  # varying alpha, including 0
        ("la_30x45.png", la, {}, False),  # grey + alpha
        ("p_trns_33x20.png", p_trns, {"transparency": trns}, False),  # palette with graded tRNS alpha
        ("rgb_45x31_half.png", textured(45, 31, seed=8), {}, False),  # S=16: 23 cols, left 3.5 -> 4; S=224: 50.5 -> 50
        ("rgb_12x10_small.png", textured(12, 10, seed=9), {}, False),  # upscaled to 19 x 16, left 1.5 -> 2
        ("rgb_16x16.png", textured(16, 16, seed=11), {}, False),  # exactly S x S
        ("rgb_80x60.jpg", textured(80, 60, seed=12), {"quality": 90, "subsampling": 2, "optimize": False,
                                                       "progressive": False}, True),  # baseline JPEG, 4:2:0
    ]


def load_rgb(path):
    """The reference's pil_loader."""
    with open(path, "rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Palette images with Transparency expressed in bytes ..." (p_trns)
        return Image.open(f).convert("RGB")


def geometry(width, height, size):
    """Resize(size) then CenterCrop(size) by torchvision's formulas: resized [h, w], crop [top, left]."""
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(size * long / short)
    h, w = (new_long, size) if width <= height else (size, new_long)
    return [h, w], [int(round((h - size) / 2.0)), int(round((w - size) / 2.0))]


def preprocess(image, size):
    """The evaluation transform on an RGB PIL image: (float32 [3, S, S], uint8 [3, S, S] crop before ToTensor)."""
    resized = T.Resize(size)(image)
    cropped = T.CenterCrop(size)(resized)
    tensor = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])(cropped)
    pixels = np.asarray(cropped, dtype=np.uint8).transpose(2, 0, 1).copy()
    expected = ((pixels.astype(np.float32) / np.float32(255)) - np.array(MEAN, np.float32)[:, None, None]) \
        / np.array(STD, np.float32)[:, None, None]
    assert np.array_equal(tensor.numpy(), expected), "the float tensor is not float32((u / 255 - mean) / std)"
    return tensor, pixels, [resized.height, resized.width]


def main(out):
    os.makedirs(out, exist_ok=True)
    entries, tensors, pixels = [], [], []
    for name, image, options, lossy in images():
        path = os.path.join(out, name)
        image.save(path, **options)
        with Image.open(path) as saved:
            mode, width, height = saved.mode, saved.width, saved.height
        assert mode == image.mode, (name, mode, image.mode)
        rgb = load_rgb(path)
        tensor, crop_pixels, resized = preprocess(rgb, SIZE)
        expected_resized, crop = geometry(width, height, SIZE)
        assert resized == expected_resized, (name, resized, expected_resized)
        # The crop really starts at `crop`: the resized image sliced there equals the CenterCrop output.
        full = np.asarray(T.Resize(SIZE)(rgb)).transpose(2, 0, 1)
        assert np.array_equal(full[:, crop[0]:crop[0] + SIZE, crop[1]:crop[1] + SIZE], crop_pixels), name
        tensors.append(tensor)
        pixels.append(crop_pixels)
        entries.append({"file": name, "mode": mode, "width": width, "height": height, "resized": resized, "crop": crop,
                        "lossy": lossy})

    # Centre-crop offsets of x.5 at S = 16, rounded half to even: one from an even floor (down), one from an odd (up).
    halves = [max(e["resized"]) - SIZE for e in entries if (max(e["resized"]) - SIZE) % 2 == 1]
    assert any(d % 4 == 1 for d in halves) and any(d % 4 == 3 for d in halves), halves
    # eval224: 55 x 110 resizes to 224 x 448 (long side rounding); 45 x 31 has a 50.5 -> 50 offset there.
    eval224 = []
    for name in EVAL224:
        entry = next(e for e in entries if e["file"] == name)
        _, crop_pixels, resized = preprocess(load_rgb(os.path.join(out, name)), 224)
        assert resized == geometry(entry["width"], entry["height"], 224)[0]
        eval224.append(crop_pixels)
    assert geometry(55, 110, 224) == ([448, 224], [112, 0])
    assert (geometry(45, 31, 224)[0][1] - 224) % 4 == 1 and (geometry(45, 31, SIZE)[0][1] - SIZE) % 4 == 3

    checkpoint = torch.load(CHECKPOINT, map_location="cpu")
    state = {k[len("module."):]: v for k, v in checkpoint["state_dict"].items()}
    model = ref.Slip(MICRO, "Slip")
    model.load_state_dict(state, strict=True)
    model.eval()
    batch = torch.stack(tensors).float()
    with torch.no_grad():
        embeddings = torch.nn.functional.normalize(model.encode_image(batch).float(), dim=-1)

    np.save(os.path.join(out, "eval16.npy"), batch.numpy().astype(np.float32))
    np.save(os.path.join(out, "pixels16.npy"), np.stack(pixels))
    np.save(os.path.join(out, "eval224.npy"), np.stack(eval224))
    np.save(os.path.join(out, "image_embeddings.npy"), embeddings.numpy().astype(np.float32))
    manifest = {
        "size": SIZE, "files": entries, "eval224": EVAL224, "eval224_dtype": "uint8",
        "eval224_note": "CenterCrop(224) output before ToTensor; tensor = float32((float32(u) / 255 - mean) / std)",
        "mean": list(MEAN), "std": list(STD),
        "checkpoint": "../parity/published_style_checkpoint.pt", "config": MICRO,
        "embeddings": "encode_image on eval16.npy in eval mode, float32, L2-normalised",
        "torch": torch.__version__, "torchvision": torchvision.__version__, "pil": PIL.__version__,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    for e in entries:
        print(f"{e['file']:22} {e['mode']:4} {e['width']:3}x{e['height']:<3} resized {e['resized']} crop {e['crop']}")
    print(len(entries), "images, embeddings", tuple(embeddings.shape))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/Slip.Training.Tests/Fixtures/embed")
