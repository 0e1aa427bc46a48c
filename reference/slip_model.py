"""SLIP in PyTorch with the published implementation's module names, for parity fixtures and benchmarks.

Written for Debian's python3-torch 1.13 (no F.scaled_dot_product_attention there). The layout follows
slip-reference.md sections 1-2: timm ViT tower (`visual.*`), CLIP text transformer (`transformer.resblocks.*`
with nn.MultiheadAttention), projections, logit scale and the SimCLR head `image_mlp`. State-dict keys equal
Slip.Training's, so weights move between the two with torch.save / load_py.
"""
import math
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.qkv, self.proj, self.heads = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim), heads

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = ((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5).softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class VitBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim, eps=1e-6), Attention(dim, heads)
        self.norm2, self.mlp = nn.LayerNorm(dim, eps=1e-6), Mlp(dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, image, patch, dim, depth, heads):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, dim))
        self.blocks = nn.ModuleList([VitBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, 0]


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads, mask):
        super().__init__()
        self.attn, self.ln_1 = nn.MultiheadAttention(width, heads), nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(width, 4 * width)), ("gelu", QuickGELU()),
                                              ("c_proj", nn.Linear(4 * width, width))]))
        self.ln_2, self.mask = nn.LayerNorm(width), mask

    def forward(self, x):  # x: [L, N, W], sequence first as in CLIP
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=self.mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mask):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class Slip(nn.Module):
    """CLIP, SimCLR or SLIP by `objective`, built from a Slip run config (camelCase keys)."""

    def __init__(self, c, objective="Slip"):
        super().__init__()
        self.objective = objective
        w = c["visionWidth"]
        self.visual = VisionTransformer(c["imageSize"], c["patchSize"], w, c["visionDepth"], c["visionHeads"])
        if objective in ("Clip", "Slip"):
            tw, ctx = c["textWidth"], c["contextLength"]
            self.image_projection = nn.Parameter(torch.randn(w, c["embedDim"]) * w ** -0.5)
            self.token_embedding = nn.Embedding(c["vocabSize"], tw)
            self.positional_embedding = nn.Parameter(torch.randn(ctx, tw) * 0.01)
            mask = torch.full((ctx, ctx), float("-inf")).triu(1)
            self.transformer = Transformer(tw, c["textLayers"], c["textHeads"], mask)
            self.ln_final = nn.LayerNorm(tw)
            self.text_projection = nn.Parameter(torch.randn(tw, c["embedDim"]) * tw ** -0.5)
            self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        if objective in ("SimClr", "Slip"):
            m = c["sslMlpDim"]
            self.image_mlp = nn.Sequential(OrderedDict([
                ("layer1", nn.Linear(w, m)), ("bn1", nn.BatchNorm1d(m)), ("relu1", nn.ReLU(inplace=True)),
                ("layer2", nn.Linear(m, m)), ("bn2", nn.BatchNorm1d(m)), ("relu2", nn.ReLU(inplace=True)),
                ("layer3", nn.Linear(m, c["sslEmbedDim"]))]))

    def encode_image(self, image):
        return self.visual(image) @ self.image_projection

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, image=None, text=None, aug1=None, aug2=None):
        out = {}
        if self.objective in ("SimClr", "Slip"):
            out["aug1_embed"] = self.image_mlp(self.visual(aug1))
            out["aug2_embed"] = self.image_mlp(self.visual(aug2))
        if self.objective in ("Clip", "Slip"):
            out["image_embed"] = self.encode_image(image)
            out["text_embed"] = self.encode_text(text)
            out["logit_scale"] = self.logit_scale.exp()
        return out


def clip_loss(image_embed, text_embed, logit_scale):
    image, text = F.normalize(image_embed, dim=-1), F.normalize(text_embed, dim=-1)
    labels = torch.arange(image.shape[0])
    logits_per_image, logits_per_text = logit_scale * image @ text.t(), logit_scale * text @ image.t()
    loss = (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2
    acc = 100 * (logits_per_image.argmax(-1) == labels).float().mean()
    return loss, acc


def ssl_loss(aug1_embed, aug2_embed, temperature=0.1):
    q_a, q_b = F.normalize(aug1_embed, dim=-1), F.normalize(aug2_embed, dim=-1)
    n = q_a.shape[0]
    labels, masks = torch.arange(n), F.one_hot(torch.arange(n), n) * 1e9
    logits_aa, logits_bb = q_a @ q_a.t() / temperature - masks, q_b @ q_b.t() / temperature - masks
    logits_ab, logits_ba = q_a @ q_b.t() / temperature, q_b @ q_a.t() / temperature
    loss_a = F.cross_entropy(torch.cat([logits_ab, logits_aa], 1), labels)
    loss_b = F.cross_entropy(torch.cat([logits_ba, logits_bb], 1), labels)
    acc = 100 * (torch.cat([logits_ab, logits_aa], 1).argmax(-1) == labels).float().mean()
    return (loss_a + loss_b) / 2, acc


def losses(objective, out, ssl_scale=1.0, temperature=0.1):
    result = {}
    if objective in ("Clip", "Slip"):
        result["clip_loss"], result["clip_acc"] = clip_loss(out["image_embed"], out["text_embed"], out["logit_scale"])
    if objective in ("SimClr", "Slip"):
        result["ssl_loss"], result["ssl_acc"] = ssl_loss(out["aug1_embed"], out["aug2_embed"], temperature)
    result["loss"] = {"Clip": lambda: result["clip_loss"], "SimClr": lambda: result["ssl_loss"],
                      "Slip": lambda: result["clip_loss"] + ssl_scale * result["ssl_loss"]}[objective]()
    return result


def adamw(model, lr, weight_decay):
    """AdamW as SLIP's main.py builds it: no decay for ndim < 2 or names containing bias, ln or bn."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "bias" in name or "ln" in name or "bn" in name else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98), eps=1e-8)


def clamp_logit_scale(model):
    if hasattr(model, "logit_scale"):
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
