"""Writes the parity fixtures that tests/Slip.Training.Tests/ParityTests.cs checks Slip against.

    /usr/bin/python3 reference/make_fixtures.py tests/Slip.Training.Tests/Fixtures/parity

For each case (CLIP, SimCLR, SLIP, and SLIP with the MoCo v3, BYOL and MIM branches) on the Micro preset: the
initial weights (`<case>_weights.pt`, a PyTorch state dict), the inputs, the model's outputs and losses in training
mode (`<case>_expected.json`), the gradients of that forward (`<case>_grads.pt`) and the weights after one AdamW step
with SLIP's recipe and, where there is one, the momentum network's EMA step (`<case>_after_step.pt`); and `published_style_checkpoint.pt`, laid out like SLIP's released checkpoints, holding
the SLIP weights. Needs Debian's python3-torch.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slip_model as ref  # noqa: E402

MICRO = {"imageSize": 16, "patchSize": 4, "visionWidth": 32, "visionDepth": 2, "visionHeads": 2, "textWidth": 32,
         "textLayers": 2, "textHeads": 2, "contextLength": 16, "vocabSize": 259, "embedDim": 32, "sslMlpDim": 64,
         "sslEmbedDim": 16}
CAPTIONS = ["a large red circle in the top left", "a small blue star in the center",
            "a large green cross in the bottom right", "a small yellow triangle in the middle left"]
LR, WD, SSL_SCALE = 1e-3, 0.1, 1.0
# (file prefix, objective, SSL method, temperature, EMA momentum): each method's defaults (Slip.Training.Ssl.SslMethods).
CASES = [("clip", "Clip", "simclr", 0.1, 0.99), ("simclr", "SimClr", "simclr", 0.1, 0.99), ("slip", "Slip", "simclr", 0.1, 0.99),
         ("slip_mocov3", "Slip", "mocov3", 0.2, 0.99), ("slip_byol", "Slip", "byol", 0.1, 0.996),
         ("slip_mim", "Slip", "mim", 0.1, 0.99)]
MASK_RATIO = 0.4


def byte_tokens(text, context):
    """Slip's built-in tokenizer: UTF-8 bytes + 1, SOT 257, EOT 258, padding 0, EOT kept when truncating."""
    body = [b + 1 for b in text.strip().lower().encode("utf-8")][: context - 2]
    ids = [257] + body + [258]
    return ids + [0] * (context - len(ids))


def published_style_checkpoint(out_dir):
    """A file shaped like SLIP's released checkpoints (main.py's save_on_master), on the Micro SLIP weights: epoch,
    DDP-prefixed state_dict, optimizer and scaler state, best_acc1 and the argparse Namespace of the run."""
    torch.manual_seed(1234 + 2)
    model = ref.Slip(MICRO, "Slip")
    optimizer = ref.adamw(model, LR, WD)
    args = argparse.Namespace(model="SLIP_VITS16", ssl_mlp_dim=64, ssl_emb_dim=16, ssl_temp=0.1, ssl_scale=1.0,
                              epochs=25, batch_size=64, lr=3e-3, wd=0.1, dataset="yfcc15m", output_dir="./out")
    checkpoint = {"epoch": 25, "state_dict": {"module." + k: v for k, v in model.state_dict().items()},
                  "optimizer": optimizer.state_dict(), "scaler": {"scale": 65536.0, "growth_factor": 2.0},
                  "best_acc1": 42.8, "args": args}
    torch.save(checkpoint, os.path.join(out_dir, "published_style_checkpoint.pt"))


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    published_style_checkpoint(out_dir)
    for index, (name, objective, method, temperature, momentum) in enumerate(CASES):
        torch.manual_seed(1234 + index)
        model = ref.Slip(MICRO, objective, method).train()
        torch.save(model.state_dict(), os.path.join(out_dir, f"{name}_weights.pt"))
        b, s, p = len(CAPTIONS), MICRO["imageSize"], MICRO["patchSize"]
        image, aug1, aug2 = (torch.randn(b, 3, s, s) for _ in range(3))
        text = torch.tensor([byte_tokens(c, MICRO["contextLength"]) for c in CAPTIONS])
        mask = torch.rand(b, (s // p) ** 2) < MASK_RATIO

        optimizer = ref.adamw(model, LR, WD)
        optimizer.zero_grad()
        out = model(image=image, text=text, aug1=aug1, aug2=aug2, mask=mask)
        losses = ref.losses(objective, out, SSL_SCALE, temperature, method)
        losses["loss"].backward()
        grads = {k: v.grad.detach().clone() for k, v in model.named_parameters() if v.grad is not None}
        torch.save(grads, os.path.join(out_dir, f"{name}_grads.pt"))
        optimizer.step()
        ref.clamp_logit_scale(model)
        ref.update_momentum(model, momentum)
        torch.save(model.state_dict(), os.path.join(out_dir, f"{name}_after_step.pt"))

        expected = {
            "objective": objective, "sslMethod": method, "sslTemperature": temperature, "sslMomentum": momentum,
            "config": MICRO, "learningRate": LR, "weightDecay": WD,
            "inputs": {"image": image.tolist(), "aug1": aug1.tolist(), "aug2": aug2.tolist(), "text": text.tolist(),
                       "mask": mask.tolist()},
            "outputs": {k: v.tolist() for k, v in out.items()},
            "losses": {k: v.item() for k, v in losses.items()},
            "torch": torch.__version__,
        }
        with open(os.path.join(out_dir, f"{name}_expected.json"), "w") as f:
            json.dump(expected, f)
        print(name, {k: round(v.item(), 6) for k, v in losses.items()})

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/Slip.Training.Tests/Fixtures/parity")
