using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// Inputs of one forward pass; which are needed depends on the objective and SSL method. <paramref name="Mask"/>
/// [B, T] (true = masked patch) is for masked-image modelling.
/// </summary>
public sealed record SlipInputs(Tensor? Image, Tensor? Text, Tensor? Aug1, Tensor? Aug2, Tensor? Mask = null);

/// <summary>
/// Outputs as the reference names them: un-normalised embeddings and the exponentiated logit scale. For MoCo v3 and
/// BYOL, Aug1Embed/Aug2Embed are the online predictions and Aug1Target/Aug2Target the momentum network's projections
/// (no gradient); for MIM, MimPrediction and MimTarget are the predicted and true normalised pixels of the masked patches.
/// </summary>
public sealed record SlipOutputs(Tensor? ImageEmbed, Tensor? TextEmbed, Tensor? LogitScale, Tensor? Aug1Embed, Tensor? Aug2Embed)
{
    public Tensor? Aug1Target { get; init; }
    public Tensor? Aug2Target { get; init; }
    public Tensor? MimPrediction { get; init; }
    public Tensor? MimTarget { get; init; }
}

/// <summary>
/// CLIP, SimCLR and SLIP in one module: a ViT image tower, and depending on the objective the CLIP text tower with
/// projections and logit scale, and/or the SSL branch (SimCLR head, MoCo v3 / BYOL projector, predictor and momentum
/// copies, or the MIM mask token and pixel head; see <see cref="Ssl.SslMethods"/>). Field names are the published
/// state-dict keys where the reference has them.
/// </summary>
public sealed partial class SlipModel : Module<SlipInputs, SlipOutputs>
{
    /// <summary>ln(100): the clamp on the raw logit scale, so the temperature multiplier stays in [1, 100].</summary>
    public const double MaxLogitScale = 4.605170185988092;

    private readonly int patchSize;
    private readonly VisionTransformer visual;
    private readonly Parameter? image_projection;
    private readonly Embedding? token_embedding;
    private readonly Parameter? positional_embedding;
    private readonly TextTransformer? transformer;
    private readonly LayerNorm? ln_final;
    private readonly Parameter? text_projection;
    private readonly Parameter? logit_scale;
    private readonly SimClrHead? image_mlp;
    private readonly Sequential? ssl_projector;
    private readonly Sequential? ssl_predictor;
    private readonly VisionTransformer? momentum_visual;
    private readonly Sequential? momentum_projector;
    private readonly Parameter? mim_mask_token;
    private readonly Linear? mim_head;

    public SlipModel(RunConfig config) : base(nameof(SlipModel))
    {
        Objective = config.Objective;
        SslMethod = config.SslMethod;
        patchSize = config.PatchSize;
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
            (image_mlp, ssl_projector, ssl_predictor, momentum_visual, momentum_projector, mim_mask_token, mim_head) = BuildSslBranch(config);
        }

        RegisterComponents();
        CopyToMomentumEncoder();
    }

    public Objective Objective { get; }

    /// <summary>The SSL branch this model carries (<see cref="Ssl.SslMethods"/>); meaningful when <see cref="HasSsl"/>.</summary>
    public string SslMethod { get; }

    public bool HasText => Objective is Objective.Clip or Objective.Slip;

    public bool HasSsl => Objective is Objective.SimClr or Objective.Slip;

    /// <summary>Images [B, 3, H, W] to CLS features [B, D] (before any projection): what a linear probe reads.</summary>
    public Tensor EncodeImageFeatures(Tensor images) => visual.call(images);

    /// <summary>The image tower itself (fine-tuning copies its weights).</summary>
    public VisionTransformer Visual => visual;

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
        Tensor? image = null, text = null, scale = null;
        var ssl = HasSsl ? ForwardSsl(input) : null;
        if (HasText)
        {
            image = EncodeImage(Require(input.Image));                         // [B, E]
            text = EncodeText(Require(input.Text));                            // [B, E]
            scale = Require(logit_scale).exp();                                // []
        }

        return ssl is null ? new SlipOutputs(image, text, scale, null, null) : ssl with { ImageEmbed = image, TextEmbed = text, LogitScale = scale };
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
