"""The PyTorch side of `Slip.Training bench --ops`: the same operations at the same shapes, fp32 and bf16.

    /usr/bin/python3 reference/ops_bench.py --batch 64 --image 32 --patch 4 --width 128 --heads 4 --threads 2
"""
import argparse
import json
import time

import torch


def median_ms(op, repeats):
    for _ in range(3):
        op()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        op()
        times.append(1000 * (time.perf_counter() - start))
    return round(sorted(times)[len(times) // 2], 2)


def main():
    p = argparse.ArgumentParser()
    for name, default in [("batch", 64), ("image", 32), ("patch", 4), ("width", 128), ("heads", 4), ("threads", 2), ("steps", 20)]:
        p.add_argument(f"--{name}", type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    tokens = (a.image // a.patch) ** 2 + 1
    result = {"rows": a.batch * tokens, "width": a.width, "threads": a.threads, "torch": torch.__version__}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        x = torch.randn(a.batch * tokens, a.width).to(dtype)
        w = torch.randn(4 * a.width, a.width).to(dtype)
        qkv = torch.randn(a.batch, a.heads, tokens, a.width // a.heads).to(dtype)

        def forward_backward():
            p = w.detach().requires_grad_(True)
            torch.nn.functional.linear(x, p).sum().backward()

        result[f"{name}LinearMs"] = median_ms(lambda: torch.nn.functional.linear(x, w), a.steps)
        result[f"{name}LinearForwardBackwardMs"] = median_ms(forward_backward, a.steps)
        result[f"{name}AttentionMs"] = median_ms(lambda: (qkv @ qkv.transpose(-1, -2)).softmax(-1) @ qkv, a.steps)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
