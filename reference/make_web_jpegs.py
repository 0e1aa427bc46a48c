"""Writes webdataset shards of photo JPEGs at typical web sizes, for the data-path benchmark (docs/benchmarks.md).

    apt-get download plasma-workspace-wallpapers && dpkg -x plasma-workspace-wallpapers_*.deb /tmp/wallpapers
    /usr/bin/python3 reference/make_web_jpegs.py /tmp/wallpapers/usr/share/wallpapers /tmp/webjpegs --count 256

For each size (500x375 and 1024x768) it cuts `count` random crops from the photos (KDE's wallpapers are real
photographs), resizes them with PIL and encodes them at quality 95 (img2dataset's default), as `NNNNN.jpg` with a
caption `NNNNN.txt`, into `<out>/<size>/00000.tar`, plus a `sizes.json`.
"""
import argparse
import glob
import io
import json
import os
import random
import tarfile

from PIL import Image


def main():
    p = argparse.ArgumentParser()
    p.add_argument("photos")
    p.add_argument("out")
    p.add_argument("--count", type=int, default=256)
    a = p.parse_args()
    photos = sorted(glob.glob(os.path.join(a.photos, "**", "*.jpg"), recursive=True))
    photos = [f for f in photos if "screenshot" not in f and Image.open(f).size[0] >= 1920]
    rng = random.Random(0)
    for w, h in [(500, 375), (1024, 768)]:
        folder = os.path.join(a.out, f"{w}x{h}")
        os.makedirs(folder, exist_ok=True)
        with tarfile.open(os.path.join(folder, "00000.tar"), "w") as tar:
            for i in range(a.count):
                source = photos[rng.randrange(len(photos))]
                image = Image.open(source).convert("RGB")
                scale = rng.uniform(max(w / image.size[0], h / image.size[1]), 1.0)
                cw, ch = int(w / scale), int(h / scale)
                left, top = rng.randrange(image.size[0] - cw + 1), rng.randrange(image.size[1] - ch + 1)
                crop = image.crop((left, top, left + cw, top + ch)).resize((w, h), Image.BILINEAR)
                buffer = io.BytesIO()
                crop.save(buffer, "JPEG", quality=95)
                for name, data in [(f"{i:05d}.jpg", buffer.getvalue()),
                                   (f"{i:05d}.txt", f"a photo from {source.split('/')[-4]}".encode())]:
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        with open(os.path.join(folder, "sizes.json"), "w") as f:
            json.dump({"00000.tar": a.count}, f)
        print(folder, len(photos), "photos")


if __name__ == "__main__":
    main()
