"""PyTorch side of `Slip.Training bench`: the same SLIP model (reference/slip_model.py) and step, timed the same way.

    /usr/bin/python3 reference/bench.py --config run-full.json [--steps 20] [--warmup 3] [--threads 2]

The config is a complete Slip run config (`Slip.Training validate --config run.json` prints one). Inputs are random
tensors of the batch's shapes, so this times forward, backward and AdamW only, like the C# bench's step time.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slip_model as ref  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    c = json.load(open(a.config))
    torch.set_num_threads(a.threads)
    torch.manual_seed(c.get("seed", 0))
    objective = c.get("objective", "Slip")
    model = ref.Slip(c, objective).train()
    optimizer = ref.adamw(model, c.get("learningRate", 3e-3), c.get("weightDecay", 0.1))
    b, s = c["batchSize"], c["imageSize"]
    image, aug1, aug2 = (torch.randn(b, 3, s, s) for _ in range(3))
    text = torch.randint(1, c["vocabSize"] - 1, (b, c["contextLength"]))
    text[:, -1] = c["vocabSize"] - 1
    times = []
    for step in range(a.warmup + a.steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        out = model(image=image, text=text, aug1=aug1, aug2=aug2)
        ref.losses(objective, out, c.get("sslScale", 1.0), c.get("sslTemperature", 0.1))["loss"].backward()
        optimizer.step()
        ref.clamp_logit_scale(model)
        if step >= a.warmup:
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    mean = sum(times) / len(times)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batchSize": b, "imageSize": s,
                      "stepMsMean": round(mean, 1), "stepMsMedian": round(times[len(times) // 2], 1),
                      "samplesPerSecond": round(b * 1000 / mean, 1),
                      "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "parameters": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()
