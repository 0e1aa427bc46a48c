"""The reference's data path on the same shards, for `bench --data-only` (docs/benchmarks.md): PIL decode, then
SLIP's three views (CLIP RandomResizedCrop 0.5-1; two SSL views with jitter, grayscale, PIL blur, flip), ToTensor
and Normalize, in one process (one core), as each of the reference's DataLoader workers does it.

    /usr/bin/python3 reference/data_bench.py /tmp/webjpegs/500x375/00000.tar --samples 96
"""
import argparse
import io
import random
import tarfile
import time

import torch
from PIL import Image, ImageFilter
from torchvision import transforms


class GaussianBlur:
    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = sigma

    def __call__(self, x):
        return x.filter(ImageFilter.GaussianBlur(radius=random.uniform(*self.sigma)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shard")
    p.add_argument("--samples", type=int, default=96)
    p.add_argument("--size", type=int, default=224)
    a = p.parse_args()
    torch.set_num_threads(1)
    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    clip = transforms.Compose([transforms.RandomResizedCrop(a.size, scale=(0.5, 1.0)), transforms.ToTensor(), normalize])
    ssl = transforms.Compose([
        transforms.RandomResizedCrop(a.size, scale=(0.08, 1.0)),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        transforms.RandomGrayscale(p=0.2),
        transforms.RandomApply([GaussianBlur([0.1, 2.0])], p=0.5),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        normalize,
    ])
    with tarfile.open(a.shard) as tar:
        jpegs = [tar.extractfile(m).read() for m in tar.getmembers() if m.name.endswith(".jpg")][: a.samples]
    start = time.perf_counter()
    for data in jpegs:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        clip(image), ssl(image), ssl(image)
    seconds = time.perf_counter() - start
    print({"samples": len(jpegs), "samplesPerSecondPerCore": round(len(jpegs) / seconds, 1),
           "imagesPerSecondPerCore": round(3 * len(jpegs) / seconds, 1)})


if __name__ == "__main__":
    main()
