"""SLIP in PyTorch with the published implementation's module names, for parity fixtures and benchmarks.

Written for Debian's python3-torch 1.13 (no F.scaled_dot_product_attention there). The layout follows
slip-reference.md sections 1-2: timm ViT tower (`visual.*`), CLIP text transformer (`transformer.resblocks.*`
with nn.MultiheadAttention), projections, logit scale and the SimCLR head `image_mlp`. State-dict keys equal
Slip.Training's, so weights move between the two with torch.save / load_py.
"""
import copy
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
        return self.tokens(x)[:, 0]

    def tokens(self, x, mask=None, mask_token=None):
        """All normalised tokens [B, T+1, D]; masked patches (mask [B, T] true) become mask_token, as in BEiT."""
        x = self.patch_embed(x)
        if mask is not None:
            w = mask.unsqueeze(-1).type_as(x)
            x = x * (1 - w) + mask_token * w
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


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


def moco_v3_mlp(layers, in_dim, hidden, out_dim):
    """MoCo v3's _build_mlp: bias-free Linears, BN + ReLU between, an affine-free BN after the last."""
    mods = []
    for l in range(layers):
        last = l == layers - 1
        d2 = out_dim if last else hidden
        mods.append(nn.Linear(in_dim if l == 0 else hidden, d2, bias=False))
        mods.append(nn.BatchNorm1d(d2, affine=not last))
        if not last:
            mods.append(nn.ReLU(inplace=True))
    return nn.Sequential(*mods)


def byol_mlp(in_dim, hidden, out_dim):
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out_dim))


def patchify(images, p):
    b, c, h, w = images.shape
    x = images.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, (h // p) * (w // p), p * p * c)


class Slip(nn.Module):
    """CLIP, SimCLR or SLIP by `objective`, built from a Slip run config (camelCase keys). `ssl_method` picks the
    image-image branch: simclr (the published one), mocov3, byol or mim (Slip's additions, see decision 0007)."""

    def __init__(self, c, objective="Slip", ssl_method="simclr"):
        super().__init__()
        self.objective, self.ssl_method, self.patch = objective, ssl_method, c["patchSize"]
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
        m, e = c["sslMlpDim"], c["sslEmbedDim"]
        if objective in ("SimClr", "Slip") and ssl_method in ("mocov3", "byol"):
            if ssl_method == "mocov3":
                self.ssl_projector, self.ssl_predictor = moco_v3_mlp(3, w, m, e), moco_v3_mlp(2, e, m, e)
            else:
                self.ssl_projector, self.ssl_predictor = byol_mlp(w, m, e), byol_mlp(e, m, e)
            self.momentum_visual, self.momentum_projector = copy.deepcopy(self.visual), copy.deepcopy(self.ssl_projector)
            for p in list(self.momentum_visual.parameters()) + list(self.momentum_projector.parameters()):
                p.requires_grad = False
        elif objective in ("SimClr", "Slip") and ssl_method == "mim":
            self.mim_mask_token = nn.Parameter(torch.randn(1, 1, w) * 0.02)
            self.mim_head = nn.Linear(w, self.patch * self.patch * 3)
        elif objective in ("SimClr", "Slip"):
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

    def forward(self, image=None, text=None, aug1=None, aug2=None, mask=None):
        out = {}
        if self.objective in ("SimClr", "Slip") and self.ssl_method == "mim":
            patches = self.visual.tokens(aug1, mask, self.mim_mask_token)[:, 1:]
            out["mim_prediction"] = self.mim_head(patches[mask])
            target = patchify(aug1, self.patch)[mask]
            out["mim_target"] = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6) ** 0.5
        elif self.objective in ("SimClr", "Slip") and self.ssl_method in ("mocov3", "byol"):
            out["aug1_embed"] = self.ssl_predictor(self.ssl_projector(self.visual(aug1)))
            out["aug2_embed"] = self.ssl_predictor(self.ssl_projector(self.visual(aug2)))
            with torch.no_grad():
                out["aug1_target"] = self.momentum_projector(self.momentum_visual(aug1))
                out["aug2_target"] = self.momentum_projector(self.momentum_visual(aug2))
        elif self.objective in ("SimClr", "Slip"):
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


def moco_v3_loss(q1, q2, k1, k2, temperature):
    """MoCo v3's contrastive_loss(q1, k2) + contrastive_loss(q2, k1) on one device."""
    def ctr(q, k):
        logits = F.normalize(q, dim=1) @ F.normalize(k, dim=1).t() / temperature
        labels = torch.arange(logits.shape[0])
        return F.cross_entropy(logits, labels) * (2 * temperature), (logits.argmax(-1) == labels).float().mean()
    (l1, h1), (l2, h2) = ctr(q1, k2), ctr(q2, k1)
    return l1 + l2, 50 * (h1 + h2)


def byol_loss(p1, p2, z1, z2):
    def regress(p, z):
        p, z = F.normalize(p, dim=-1), F.normalize(z, dim=-1)
        hits = ((p @ z.t()).argmax(-1) == torch.arange(p.shape[0])).float().mean()
        return (2 - 2 * (p * z).sum(-1)).mean(), hits
    (l1, h1), (l2, h2) = regress(p1, z2), regress(p2, z1)
    return l1 + l2, 50 * (h1 + h2)


def losses(objective, out, ssl_scale=1.0, temperature=0.1, ssl_method="simclr"):
    result = {}
    if objective in ("Clip", "Slip"):
        result["clip_loss"], result["clip_acc"] = clip_loss(out["image_embed"], out["text_embed"], out["logit_scale"])
    if objective in ("SimClr", "Slip") and ssl_method == "mim":
        result["ssl_loss"] = ((out["mim_prediction"] - out["mim_target"]) ** 2).mean(-1).mean()
    elif objective in ("SimClr", "Slip") and ssl_method == "mocov3":
        result["ssl_loss"], result["ssl_acc"] = moco_v3_loss(out["aug1_embed"], out["aug2_embed"], out["aug1_target"],
                                                             out["aug2_target"], temperature)
    elif objective in ("SimClr", "Slip") and ssl_method == "byol":
        result["ssl_loss"], result["ssl_acc"] = byol_loss(out["aug1_embed"], out["aug2_embed"], out["aug1_target"],
                                                          out["aug2_target"])
    elif objective in ("SimClr", "Slip"):
        result["ssl_loss"], result["ssl_acc"] = ssl_loss(out["aug1_embed"], out["aug2_embed"], temperature)
    result["loss"] = {"Clip": lambda: result["clip_loss"], "SimClr": lambda: result["ssl_loss"],
                      "Slip": lambda: result["clip_loss"] + ssl_scale * result["ssl_loss"]}[objective]()
    return result


def adamw(model, lr, weight_decay):
    """AdamW as SLIP's main.py builds it: no decay for ndim < 2 or names containing bias, ln or bn."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "bias" in name or "ln" in name or "bn" in name else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98), eps=1e-8)


def clamp_logit_scale(model):
    if hasattr(model, "logit_scale"):
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))


def update_momentum(model, m):
    """The EMA step of MoCo v3 / BYOL after the optimizer step: vision tower and projector parameters only."""
    if not hasattr(model, "momentum_visual"):
        return
    with torch.no_grad():
        pairs = list(zip(model.visual.parameters(), model.momentum_visual.parameters())) + \
            list(zip(model.ssl_projector.parameters(), model.momentum_projector.parameters()))
        for online, momentum in pairs:
            momentum.mul_(m).add_(online, alpha=1 - m)
