using Slip.Training.Ssl;

namespace Slip.Training.Models;

/// <summary>
/// Analytic floating-point operations of one training step, for <c>bench</c>'s share of the machine's matrix rate:
/// the matrix products of the vision and text transformers (patch embedding; per block qkv, attention scores and
/// values, output projection and MLP; 2·m·n·k each) for every view they encode, forward and backward (backward taken
/// as twice the forward) where they train, the forward alone for a momentum encoder. Heads, norms, softmax, losses and
/// the optimizer are left out: under 1 % of the count at Micro, ViT-Ti/16 and ViT-B/16.
/// </summary>
public static class StepFlops
{
    /// <summary>One image through the vision transformer, forward.</summary>
    public static double VisionForward(VisionConfig vision)
    {
        var patches = (double)(vision.ImageSize / vision.PatchSize) * (vision.ImageSize / vision.PatchSize);
        var patchEmbedding = 2 * patches * 3 * vision.PatchSize * vision.PatchSize * vision.Width;
        return patchEmbedding + (vision.Depth * Block(patches + 1, vision.Width));
    }

    /// <summary>One caption through the text transformer (all of its context), forward.</summary>
    public static double TextForward(TextConfig text) => text.Layers * Block(text.ContextLength, text.Width);

    /// <summary>One optimizer step of <paramref name="config"/> at its batch size.</summary>
    public static double Step(RunConfig config)
    {
        var needs = config.Spec.Needs(config);
        var trainedViews = (needs.ClipView ? 1 : 0) + needs.SslViews;
        var momentumViews = config.Ssl.Method is SslMethod.MocoV3 or SslMethod.Byol ? needs.SslViews : 0;
        var vision = VisionForward(config.Vision);
        var text = needs.Captions ? TextForward(config.Text) : 0;
        return config.Optim.BatchSize * ((3 * ((trainedViews * vision) + text)) + (momentumViews * vision));
    }

    /// <summary>A pre-norm transformer block on <paramref name="tokens"/> tokens: 24·T·D² for the linear layers, 4·T²·D for attention.</summary>
    private static double Block(double tokens, int width) => (24 * tokens * width * width) + (4 * tokens * tokens * width);
}
