using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>Inputs of one forward pass; which are needed depends on the objective.</summary>
public sealed record SlipInputs(Tensor? Image, Tensor? Text, Tensor? Aug1, Tensor? Aug2);

/// <summary>Outputs as the reference names them: un-normalised embeddings and the exponentiated logit scale.</summary>
public sealed record SlipOutputs(Tensor? ImageEmbed, Tensor? TextEmbed, Tensor? LogitScale, Tensor? Aug1Embed, Tensor? Aug2Embed);

/// <summary>
/// CLIP, SimCLR and SLIP in one module: a ViT image tower, and depending on the objective the CLIP text tower with
/// projections and logit scale, and/or the SimCLR head. Field names are the published state-dict keys.
/// </summary>
public sealed class SlipModel : Module<SlipInputs, SlipOutputs>
{
    /// <summary>ln(100): the clamp on the raw logit scale, so the temperature multiplier stays in [1, 100].</summary>
    public const double MaxLogitScale = 4.605170185988092;

    private readonly VisionTransformer visual;
    private readonly Parameter? image_projection;
    private readonly Embedding? token_embedding;
    private readonly Parameter? positional_embedding;
    private readonly TextTransformer? transformer;
    private readonly LayerNorm? ln_final;
    private readonly Parameter? text_projection;
    private readonly Parameter? logit_scale;
    private readonly SimClrHead? image_mlp;

    public SlipModel(RunConfig config) : base(nameof(SlipModel))
    {
        Objective = config.Objective;
        visual = new VisionTransformer(config.ImageSize, config.PatchSize, config.VisionWidth, config.VisionDepth, config.VisionHeads);
        if (HasText)
        {
            image_projection = Parameter(empty(config.VisionWidth, config.EmbedDim));
            token_embedding = Embedding(config.VocabSize, config.TextWidth);
            positional_embedding = Parameter(empty(config.ContextLength, config.TextWidth));
            transformer = new TextTransformer(config.TextWidth, config.TextLayers, config.TextHeads);
            ln_final = LayerNorm(config.TextWidth, eps: 1e-5);
            text_projection = Parameter(empty(config.TextWidth, config.EmbedDim));
            logit_scale = Parameter(tensor((float)Math.Log(1 / 0.07)));
            using var _ = no_grad();
            init.normal_(image_projection, std: Math.Pow(config.VisionWidth, -0.5));
            init.normal_(token_embedding.weight!, std: 0.02);
            init.normal_(positional_embedding, std: 0.01);
            init.normal_(text_projection, std: Math.Pow(config.TextWidth, -0.5));
        }

        if (HasSsl)
        {
            image_mlp = new SimClrHead(config.VisionWidth, config.SslMlpDim, config.SslEmbedDim);
        }

        RegisterComponents();
    }

    public Objective Objective { get; }

    public bool HasText => Objective is Objective.Clip or Objective.Slip;

    public bool HasSsl => Objective is Objective.SimClr or Objective.Slip;

    /// <summary>Images [B, 3, H, W] to CLS features [B, D] (before any projection): what a linear probe reads.</summary>
    public Tensor EncodeImageFeatures(Tensor images) => visual.call(images);

    /// <summary>Images [B, 3, H, W] to joint-space embeddings [B, E] (un-normalised).</summary>
    public Tensor EncodeImage(Tensor images) => visual.call(images).matmul(Require(image_projection)); // [B, E]

    /// <summary>Token ids [B, L] to joint-space embeddings [B, E], pooled at the EOT (largest id) position.</summary>
    public Tensor EncodeText(Tensor tokens)
    {
        var x = Require(token_embedding).call(tokens) + Require(positional_embedding); // [B, L, W]
        x = Require(transformer).call(x);                                     // [B, L, W]
        x = Require(ln_final).call(x);                                        // [B, L, W]
        var eot = tokens.argmax(-1);                                          // [B]
        var pooled = x[arange(x.shape[0], device: x.device), eot];           // [B, W]
        return pooled.matmul(Require(text_projection));                      // [B, E]
    }

    public override SlipOutputs forward(SlipInputs input)
    {
        Tensor? aug1 = null, aug2 = null, image = null, text = null, scale = null;
        if (HasSsl)
        {
            // The reference runs the tower once per view and the head once per view (BN statistics per view).
            aug1 = Require(image_mlp).call(visual.call(Require(input.Aug1)));   // [B, E_ssl]
            aug2 = Require(image_mlp).call(visual.call(Require(input.Aug2)));   // [B, E_ssl]
        }

        if (HasText)
        {
            image = EncodeImage(Require(input.Image));                         // [B, E]
            text = EncodeText(Require(input.Text));                            // [B, E]
            scale = Require(logit_scale).exp();                                // []
        }

        return new SlipOutputs(image, text, scale, aug1, aug2);
    }

    /// <summary>Clamps the raw logit scale to [0, ln 100]; the reference does this after every optimizer step.</summary>
    public void ClampLogitScale()
    {
        if (logit_scale is null)
        {
            return;
        }

        using var _ = no_grad();
        logit_scale.clamp_(0, MaxLogitScale);
    }

    /// <summary>The raw (log) logit scale parameter, or null for SimCLR.</summary>
    public Tensor? LogitScale => logit_scale;

    private static T Require<T>(T? value) where T : class =>
        value ?? throw new InvalidOperationException($"This model's objective does not provide a {typeof(T).Name} for this call.");
}
