using Slip.Training.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// CLIP's causal text transformer stack (<c>transformer.resblocks.*</c>): pre-norm blocks with
/// <c>nn.MultiheadAttention</c>-shaped weights, QuickGELU MLP, LayerNorm eps 1e-5. Embeddings, final norm and
/// projection live on <see cref="SlipModel"/>, where the published checkpoints keep them.
/// </summary>
public sealed class TextTransformer : Module<Tensor, Tensor>
{
    private readonly ModuleList<ResidualAttentionBlock> resblocks;

    public TextTransformer(int width, int layers, int heads) : base(nameof(TextTransformer))
    {
        resblocks = new ModuleList<ResidualAttentionBlock>(Enumerable.Range(0, layers).Select(_ => new ResidualAttentionBlock(width, heads)).ToArray());
        RegisterComponents();
        InitWeights(width, layers);
    }

    /// <summary>Token features [B, L, W] to [B, L, W], causally masked.</summary>
    public override Tensor forward(Tensor x)
    {
        foreach (var block in resblocks)
        {
            x = block.call(x);
        }

        return x;
    }

    private void InitWeights(int width, int layers)
    {
        // CLIP's initialize_parameters (slip-reference 1.2); biases keep PyTorch's defaults.
        var attnStd = Math.Pow(width, -0.5);
        var projStd = attnStd * Math.Pow(2 * layers, -0.5);
        var fcStd = Math.Pow(2 * width, -0.5);
        using var _ = no_grad();
        foreach (var block in resblocks)
        {
            block.Init(attnStd, projStd, fcStd);
        }
    }
}

/// <summary>Pre-norm residual block: x += attn(ln_1(x)); x += mlp(ln_2(x)).</summary>
public sealed class ResidualAttentionBlock : Module<Tensor, Tensor>
{
    private readonly TextAttention attn;
    private readonly LayerNorm ln_1;
    private readonly TextMlp mlp;
    private readonly LayerNorm ln_2;

    public ResidualAttentionBlock(int width, int heads) : base(nameof(ResidualAttentionBlock))
    {
        attn = new TextAttention(width, heads);
        ln_1 = LayerNorm(width, eps: 1e-5);
        mlp = new TextMlp(width);
        ln_2 = LayerNorm(width, eps: 1e-5);
        RegisterComponents();
    }

    internal void Init(double attnStd, double projStd, double fcStd)
    {
        attn.Init(attnStd, projStd);
        mlp.Init(fcStd, projStd);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(attn.call(ln_1.call(x)));                                  // [B, L, W]
        return h.Plus(mlp.call(ln_2.call(h))).MoveToOuterDisposeScope();        // [B, L, W]
    }
}

/// <summary>Causal self-attention holding <c>in_proj_weight</c>, <c>in_proj_bias</c> and <c>out_proj</c> as PyTorch's MHA does.</summary>
public sealed class TextAttention : Module<Tensor, Tensor>
{
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
    private readonly int heads;

    public TextAttention(int width, int heads) : base(nameof(TextAttention))
    {
        this.heads = heads;
        in_proj_weight = Parameter(empty(3 * width, width));
        in_proj_bias = Parameter(zeros(3 * width));
        out_proj = Linear(width, width);
        RegisterComponents();
    }

    internal void Init(double inStd, double outStd)
    {
        init.normal_(in_proj_weight, std: inStd);
        init.zeros_(in_proj_bias);
        init.normal_(out_proj.weight!, std: outStd);
        init.zeros_(out_proj.bias!);
    }

    public override Tensor forward(Tensor x)
    {
        var qkv = functional.linear(x, in_proj_weight, in_proj_bias);        // [B, L, 3W]
        return out_proj.call(MultiHeadAttention.Attend(qkv, heads, causal: true)); // [B, L, W]
    }
}

/// <summary>Text MLP: W to 4W, QuickGELU (x * sigmoid(1.702 x)), 4W to W.</summary>
public sealed class TextMlp : Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly Linear c_proj;

    public TextMlp(int width) : base(nameof(TextMlp))
    {
        c_fc = Linear(width, width * 4);
        c_proj = Linear(width * 4, width);
        RegisterComponents();
    }

    internal void Init(double fcStd, double projStd)
    {
        init.normal_(c_fc.weight!, std: fcStd);
        init.normal_(c_proj.weight!, std: projStd);
    }

    public override Tensor forward(Tensor x)
    {
        var h = c_fc.call(x);                                                 // [B, L, 4W]
        return c_proj.call(h * sigmoid(h.Times(1.702)));                           // [B, L, W]
    }
}
