using Slip.Training.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// timm-style ViT image tower (pre-norm blocks, LayerNorm eps 1e-6, exact GELU, qkv with bias, CLS pooling after
/// the final norm). Parameter names follow timm so state dicts match the published checkpoints' <c>visual.*</c> keys.
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>
{
    private readonly PatchEmbed patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly ModuleList<VitBlock> blocks;
    private readonly LayerNorm norm;

    public VisionTransformer(int imageSize, int patchSize, int width, int depth, int heads) : base(nameof(VisionTransformer))
    {
        Width = width;
        var tokens = (imageSize / patchSize) * (imageSize / patchSize) + 1;
        patch_embed = new PatchEmbed(patchSize, width);
        cls_token = Parameter(zeros(1, 1, width));
        pos_embed = Parameter(zeros(1, tokens, width));
        blocks = new ModuleList<VitBlock>(Enumerable.Range(0, depth).Select(_ => new VitBlock(width, heads)).ToArray());
        norm = LayerNorm(width, eps: 1e-6);
        RegisterComponents();
        InitWeights();
    }

    /// <summary>Width D of the CLS feature this tower returns.</summary>
    public int Width { get; }

    /// <summary>Images [B, 3, H, W] to CLS features [B, D].</summary>
    public override Tensor forward(Tensor images) => Tokens(images).select(1, 0); // [B, D]

    /// <summary>
    /// Images [B, 3, H, W] to all normalised tokens [B, T+1, D] (CLS first). Where <paramref name="mask"/> [B, T] is
    /// true, the patch embedding is replaced by <paramref name="maskToken"/> [1, 1, D] before the position embedding is
    /// added, as BEiT does.
    /// </summary>
    public Tensor Tokens(Tensor images, Tensor? mask = null, Tensor? maskToken = null)
    {
        var x = patch_embed.call(images);                                     // [B, T, D]
        if (mask is not null && maskToken is not null)
        {
            var w = mask.unsqueeze(-1).to(x.dtype);                           // [B, T, 1]
            x = (x * w.SubtractedFrom(1)).Plus(maskToken * w);                               // [B, T, D]
        }

        var cls = cls_token.expand(x.shape[0], -1, -1);                       // [B, 1, D]
        x = cat([cls, x], dim: 1).Plus(pos_embed);                                // [B, T+1, D]
        foreach (var block in blocks)
        {
            x = block.call(x);
        }

        return norm.call(x);                                                  // [B, T+1, D]
    }

    private void InitWeights()
    {
        using var _ = no_grad();
        Initialization.TruncatedNormal(pos_embed, std: 0.02);
        Initialization.TruncatedNormal(cls_token, std: 0.02);
        foreach (var (name, module) in named_modules())
        {
            // The patch-embed conv keeps PyTorch's default init, as in timm.
            if (module is Linear linear)
            {
                Initialization.TruncatedNormal(linear.weight!, std: 0.02);
                if (linear.bias is not null)
                {
                    init.zeros_(linear.bias);
                }
            }
        }
    }
}

/// <summary>Conv patch embedding: [B, 3, H, W] to [B, (H/P)(W/P), D]. Named <c>proj</c> as in timm.</summary>
public sealed class PatchEmbed : Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public PatchEmbed(int patchSize, int width) : base(nameof(PatchEmbed))
    {
        proj = Conv2d(3, width, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor images)
    {
        var x = proj.call(images);                                            // [B, D, H/P, W/P]
        return x.flatten(2).transpose(1, 2);                                  // [B, T, D]
    }
}

/// <summary>Pre-norm ViT block: x += attn(norm1(x)); x += mlp(norm2(x)).</summary>
public sealed class VitBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly VitAttention attn;
    private readonly LayerNorm norm2;
    private readonly VitMlp mlp;

    public VitBlock(int width, int heads) : base(nameof(VitBlock))
    {
        norm1 = LayerNorm(width, eps: 1e-6);
        attn = new VitAttention(width, heads);
        norm2 = LayerNorm(width, eps: 1e-6);
        mlp = new VitMlp(width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // A scope per block frees this block's temporaries now; autograd keeps what it saved.
        using var scope = NewDisposeScope();
        var h = x.Plus(attn.call(norm1.call(x)));                                 // [B, T, D]
        return h.Plus(mlp.call(norm2.call(h))).MoveToOuterDisposeScope();       // [B, T, D]
    }
}

/// <summary>Multi-head self-attention with one fused qkv projection (ordered q | k | v) and an output projection.</summary>
public sealed class VitAttention : Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly int heads;

    public VitAttention(int width, int heads) : base(nameof(VitAttention))
    {
        this.heads = heads;
        qkv = Linear(width, width * 3, hasBias: true);
        proj = Linear(width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => proj.call(MultiHeadAttention.Attend(qkv.call(x), heads, causal: false));
}

/// <summary>ViT MLP: D to 4D, exact GELU, 4D to D.</summary>
public sealed class VitMlp : Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public VitMlp(int width) : base(nameof(VitMlp))
    {
        fc1 = Linear(width, width * 4);
        fc2 = Linear(width * 4, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.call(functional.gelu(fc1.call(x)));
}
