using Slip.Training.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// CLIP's half of <see cref="SlipModel"/>: the text transformer with its embeddings and final norm, both projections
/// into the joint space and the learned logit scale, registered on the model under the published state-dict names.
/// </summary>
public sealed class ClipTower : ModelBranch
{
    private readonly VisionTransformer visual;
    private readonly Parameter imageProjection;
    private readonly Embedding tokenEmbedding;
    private readonly Parameter positionalEmbedding;
    private readonly TextTransformer transformer;
    private readonly LayerNorm lnFinal;
    private readonly Parameter textProjection;
    private readonly Parameter logitScale;

    public ClipTower(RunConfig config, VisionTransformer visual)
    {
        var text = config.Text;
        this.visual = visual;
        imageProjection = Parameter(empty(config.Vision.Width, text.EmbedDim));
        tokenEmbedding = Embedding(text.VocabSize, text.Width);
        positionalEmbedding = Parameter(empty(text.ContextLength, text.Width));
        transformer = new TextTransformer(text.Width, text.Layers, text.Heads);
        lnFinal = LayerNorm(text.Width, eps: 1e-5);
        textProjection = Parameter(empty(text.Width, text.EmbedDim));
        logitScale = Parameter(tensor((float)Math.Log(1 / 0.07)));
        using var _ = no_grad();
        init.normal_(imageProjection, std: Math.Pow(config.Vision.Width, -0.5));
        init.normal_(tokenEmbedding.weight!, std: 0.02);
        init.normal_(positionalEmbedding, std: 0.01);
        init.normal_(textProjection, std: Math.Pow(text.Width, -0.5));
    }

    /// <summary>The raw (log) logit scale parameter.</summary>
    public Parameter LogitScale => Registered("logit_scale");

    protected override IEnumerable<ModelPart> Parts =>
    [
        new("image_projection", imageProjection),
        new("token_embedding", tokenEmbedding),
        new("positional_embedding", positionalEmbedding),
        new("transformer", transformer),
        new("ln_final", lnFinal),
        new("text_projection", textProjection),
        new("logit_scale", logitScale),
    ];

    /// <summary>Images [B, 3, H, W] to joint-space embeddings [B, E] (un-normalised).</summary>
    public Tensor EncodeImage(Tensor images) => visual.call(images).matmul(Registered("image_projection")); // [B, E]

    /// <summary>Token ids [B, L] to joint-space embeddings [B, E], pooled at the EOT (largest id) position.</summary>
    public Tensor EncodeText(Tensor tokens)
    {
        var x = tokenEmbedding.call(tokens).Plus(Registered("positional_embedding")); // [B, L, W]
        x = transformer.call(x);                                              // [B, L, W]
        x = lnFinal.call(x);                                                  // [B, L, W]
        var eot = tokens.argmax(-1);                                          // [B]
        var pooled = x[HeldScalars.Indices(x.shape[0], x.device), eot];           // [B, W]
        return pooled.matmul(Registered("text_projection"));                   // [B, E]
    }
}
