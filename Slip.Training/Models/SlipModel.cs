using Slip.Training.Objectives;
using Slip.Training.Ssl;
using Slip.Training.Torch;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Slip.Training.Models;

/// <summary>
/// Inputs of one forward pass; which are needed depends on the objective and SSL method
/// (<see cref="ObjectiveSpec.Needs"/>). <paramref name="Mask"/> [B, T] (true = masked patch) is for masked-image modelling.
/// </summary>
public sealed record SlipInputs(Tensor? Image, Tensor? Text, Tensor? Aug1, Tensor? Aug2, Tensor? Mask = null);

/// <summary>
/// Outputs as the reference names them: un-normalised embeddings and the exponentiated logit scale. For MoCo v3 and
/// BYOL, Aug1Embed/Aug2Embed are the online predictions and Aug1Target/Aug2Target the momentum network's projections
/// (no gradient); for MIM, MimPrediction and MimTarget are the predicted and true normalised pixels of the masked patches.
/// </summary>
public sealed record SlipOutputs
{
    public static SlipOutputs Empty { get; } = new();

    public Tensor? ImageEmbed { get; init; }
    public Tensor? TextEmbed { get; init; }
    public Tensor? LogitScale { get; init; }
    public Tensor? Aug1Embed { get; init; }
    public Tensor? Aug2Embed { get; init; }
    public Tensor? Aug1Target { get; init; }
    public Tensor? Aug2Target { get; init; }
    public Tensor? MimPrediction { get; init; }
    public Tensor? MimTarget { get; init; }

    /// <summary>Every output in <paramref name="type"/> (losses and softmax run in fp32 whatever precision computed the embeddings).</summary>
    public SlipOutputs To(ScalarType type) => new()
    {
        ImageEmbed = ImageEmbed?.to(type),
        TextEmbed = TextEmbed?.to(type),
        LogitScale = LogitScale?.to(type),
        Aug1Embed = Aug1Embed?.to(type),
        Aug2Embed = Aug2Embed?.to(type),
        Aug1Target = Aug1Target?.to(type),
        Aug2Target = Aug2Target?.to(type),
        MimPrediction = MimPrediction?.to(type),
        MimTarget = MimTarget?.to(type),
    };
}

/// <summary>
/// CLIP, SimCLR and SLIP in one module: a ViT image tower, plus what the objective builds: the CLIP text tower with its
/// projections and logit scale (<see cref="ClipTower"/>) and/or the SSL method's branch (<see cref="SslBranch"/>).
/// Every part is registered under its published state-dict key.
/// </summary>
public sealed class SlipModel : Module<SlipInputs, SlipOutputs>
{
    /// <summary>ln(100): the clamp on the raw logit scale, so the temperature multiplier stays in [1, 100].</summary>
    public const double MaxLogitScale = 4.605170185988092;

    private readonly VisionTransformer visual;

    /// <summary>
    /// Builds the model on <paramref name="buildOn"/>, the CPU unless given, whatever the default device: one seed gives
    /// one set of initial weights on every device, and the trainer moves the model afterwards. (The <c>meta</c> device
    /// builds shapes without storage, for counting.)
    /// </summary>
    public SlipModel(RunConfig config, Device? buildOn = null) : base(nameof(SlipModel))
    {
        using var building = Placement.MakingOn(buildOn ?? CPU);
        Spec = ObjectiveRegistry.Of(config);
        Objective = config.Objective;
        SslMethod = config.Ssl.Method;
        visual = new VisionTransformer(config.Vision.ImageSize, config.Vision.PatchSize, config.Vision.Width, config.Vision.Depth, config.Vision.Heads);
        Clip = Spec.HasText ? new ClipTower(config, visual) : null;
        Ssl = Spec.HasSsl ? SslMethods.Of(config.Ssl.Method).Build(config, visual) : null;
        RegisterComponents();
        Clip?.AttachTo(this);
        Ssl?.AttachTo(this);
    }

    /// <summary>What this model's objective is and needs.</summary>
    public ObjectiveSpec Spec { get; }

    public Objective Objective { get; }

    /// <summary>The SSL branch this model carries; meaningful when <see cref="HasSsl"/>.</summary>
    public SslMethod SslMethod { get; }

    /// <summary>The CLIP text tower and projections, or null for SimCLR.</summary>
    public ClipTower? Clip { get; }

    /// <summary>The SSL method's branch, or null for CLIP.</summary>
    public SslBranch? Ssl { get; }

    public bool HasText => Clip is not null;

    public bool HasSsl => Ssl is not null;

    /// <summary>Images [B, 3, H, W] to CLS features [B, D] (before any projection): what a linear probe reads.</summary>
    public Tensor EncodeImageFeatures(Tensor images) => visual.call(images);

    /// <summary>The image tower itself (fine-tuning copies its weights).</summary>
    public VisionTransformer Visual => visual;

    /// <summary>Images [B, 3, H, W] to joint-space embeddings [B, E] (un-normalised).</summary>
    public Tensor EncodeImage(Tensor images) => RequireClip().EncodeImage(images);

    /// <summary>Token ids [B, L] to joint-space embeddings [B, E], pooled at the EOT (largest id) position.</summary>
    public Tensor EncodeText(Tensor tokens) => RequireClip().EncodeText(tokens);

    public override SlipOutputs forward(SlipInputs input)
    {
        var outputs = Ssl?.Forward(input) ?? SlipOutputs.Empty;
        return Clip is null ? outputs : outputs with
        {
            ImageEmbed = Clip.EncodeImage(input.Image!),                      // [B, E]
            TextEmbed = Clip.EncodeText(input.Text!),                         // [B, E]
            LogitScale = Clip.LogitScale.exp(),                               // []
        };
    }

    /// <summary>Clamps the raw logit scale to [0, ln 100]; the reference does this after every optimizer step.</summary>
    public void ClampLogitScale()
    {
        if (Clip is null)
        {
            return;
        }

        using var _ = no_grad();
        Clip.LogitScale.ClampInPlace(0, MaxLogitScale);
    }

    /// <summary>The raw (log) logit scale parameter, or null for SimCLR.</summary>
    public Tensor? LogitScale => Clip?.LogitScale;

    /// <summary>After each optimizer step: the EMA of MoCo v3's and BYOL's momentum network at <paramref name="momentum"/>; nothing for other methods.</summary>
    public void UpdateMomentumEncoder(double momentum) => Ssl?.AfterStep(momentum);

    private ClipTower RequireClip() =>
        Clip ?? throw new InvalidOperationException($"A {Spec.Label(SslMethod)} model has no text tower: it cannot embed captions or project images into a joint space.");
}
