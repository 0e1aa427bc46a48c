"""PyTorch reference for `Slip.Training bench`: the same SLIP model shapes and training step, timed the same way.

Usage: python3 bench/pytorch_reference.py --config run.json [--steps 20] [--warmup 3] [--threads 2]
The config is a Slip run config (JSON); the model preset's shape fields must be present (as `Slip.Training validate`
expands them, or written out). Inputs are random tensors of the batch's shapes: this times forward, backward and
AdamW only, like the C# bench's step time.
"""
import argparse, json, math, resource, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads, causal):
        super().__init__()
        self.qkv, self.proj, self.heads, self.causal = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim), heads, causal

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        else:  # PyTorch < 2.0 (Debian 12 ships 1.13)
            scores = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5
            if self.causal:
                scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
            y = scores.softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads, causal, eps, quick_gelu):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=eps), nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, causal)
        self.fc1, self.fc2, self.quick = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim), quick_gelu

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        h = self.fc1(self.norm2(x))
        h = h * torch.sigmoid(1.702 * h) if self.quick else F.gelu(h)
        return x + self.fc2(h)


class Slip(nn.Module):
    def __init__(self, c):
        super().__init__()
        w, tw, tokens = c["visionWidth"], c["textWidth"], (c["imageSize"] // c["patchSize"]) ** 2 + 1
        self.patch = nn.Conv2d(3, w, c["patchSize"], c["patchSize"])
        self.cls, self.pos = nn.Parameter(torch.zeros(1, 1, w)), nn.Parameter(torch.zeros(1, tokens, w))
        self.blocks = nn.ModuleList([Block(w, c["visionHeads"], False, 1e-6, False) for _ in range(c["visionDepth"])])
        self.norm = nn.LayerNorm(w, eps=1e-6)
        self.image_projection = nn.Parameter(torch.randn(w, c["embedDim"]) * w ** -0.5)
        self.token_embedding = nn.Embedding(c["vocabSize"], tw)
        self.positional_embedding = nn.Parameter(torch.randn(c["contextLength"], tw) * 0.01)
        self.text = nn.ModuleList([Block(tw, c["textHeads"], True, 1e-5, True) for _ in range(c["textLayers"])])
        self.ln_final = nn.LayerNorm(tw)
        self.text_projection = nn.Parameter(torch.randn(tw, c["embedDim"]) * tw ** -0.5)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        m = c["sslMlpDim"]
        self.image_mlp = nn.Sequential(nn.Linear(w, m), nn.BatchNorm1d(m), nn.ReLU(), nn.Linear(m, m), nn.BatchNorm1d(m),
                                       nn.ReLU(), nn.Linear(m, c["sslEmbedDim"]))

    def visual(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.norm(x)[:, 0]

    def encode_text(self, t):
        x = self.token_embedding(t) + self.positional_embedding
        for b in self.text:
            x = b(x)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), t.argmax(-1)] @ self.text_projection


def clip_loss(i, t, s):
    i, t = F.normalize(i, dim=-1), F.normalize(t, dim=-1)
    labels = torch.arange(i.shape[0])
    return (F.cross_entropy(s * i @ t.t(), labels) + F.cross_entropy(s * t @ i.t(), labels)) / 2


def ssl_loss(a, b, tau=0.1):
    a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    n = a.shape[0]
    labels, mask = torch.arange(n), torch.eye(n) * 1e9
    la = F.cross_entropy(torch.cat([a @ b.t() / tau, a @ a.t() / tau - mask], 1), labels)
    lb = F.cross_entropy(torch.cat([b @ a.t() / tau, b @ b.t() / tau - mask], 1), labels)
    return (la + lb) / 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", required=True)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    c = json.load(open(a.config))
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Slip(c).train()
    opt = torch.optim.AdamW(model.parameters(), lr=c.get("learningRate", 3e-3), betas=(0.9, 0.98), eps=1e-8)
    b, s = c["batchSize"], c["imageSize"]
    image, aug1, aug2 = (torch.randn(b, 3, s, s) for _ in range(3))
    text = torch.randint(1, c["vocabSize"] - 1, (b, c["contextLength"]))
    text[:, -1] = c["vocabSize"] - 1
    times = []
    for step in range(a.warmup + a.steps):
        start = time.perf_counter()
        opt.zero_grad()
        ssl = ssl_loss(model.image_mlp(model.visual(aug1)), model.image_mlp(model.visual(aug2)))
        clip = clip_loss(model.visual(image) @ model.image_projection, model.encode_text(text), model.logit_scale.exp())
        (clip + ssl).backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
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
