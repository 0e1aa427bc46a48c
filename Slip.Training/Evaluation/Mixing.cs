using Slip.Training.Torch;
using static TorchSharp.torch;

namespace Slip.Training.Evaluation;

/// <summary>
/// timm's Mixup in batch mode, as the reference's fine-tuning uses it: with probability 1 a batch is mixed with itself
/// reversed, by CutMix or Mixup (switch probability 0.5 when both are on); the targets are label-smoothed one-hots
/// mixed by the same λ (for CutMix, λ corrected to the pasted box's true area).
/// </summary>
public static class Mixing
{
    public static (Tensor Images, Tensor Targets) MixupCutMix(Tensor images, int[] labels, int classes, FineTuneOptions options, Random rng)
    {
        var useCutMix = options.CutMixAlpha > 0 && (options.MixupAlpha <= 0 || rng.NextDouble() < 0.5);
        var alpha = useCutMix ? options.CutMixAlpha : options.MixupAlpha;
        var lambda = alpha > 0 ? Sampling.Beta(alpha, rng) : 1.0;
        var flipped = images.flip(0);
        Tensor mixed;
        if (useCutMix && lambda < 1)
        {
            var (h, w) = ((int)images.shape[2], (int)images.shape[3]);
            var (top, bottom, left, right) = CutBox(h, w, lambda, rng);
            mixed = images.clone();
            mixed[.., .., top..bottom, left..right] = flipped[.., .., top..bottom, left..right];
            lambda = 1 - ((double)(bottom - top) * (right - left) / (h * w));
        }
        else
        {
            mixed = images.Times(lambda).Plus(flipped.Times(1 - lambda));
        }

        var smooth = Placement.ToDevice(SmoothedOneHot(labels, classes, options.LabelSmoothing), images.device);
        return (mixed, smooth.Times(lambda).Plus(smooth.flip(0).Times(1 - lambda)));
    }

    /// <summary>One-hot rows with 1 - s + s/C on the label and s/C elsewhere, as timm's mixup_target.</summary>
    public static Tensor SmoothedOneHot(int[] labels, int classes, double smoothing)
    {
        var off = smoothing / classes;
        var rows = new float[labels.Length * classes];
        Array.Fill(rows, (float)off);
        for (var i = 0; i < labels.Length; i++)
        {
            rows[(i * classes) + labels[i]] = (float)(1 - smoothing + off);
        }

        return tensor(rows, [labels.Length, classes], device: CPU);
    }

    /// <summary>timm's rand_bbox: a box of side sqrt(1-λ) times the image's, centred uniformly, clipped to the image.</summary>
    public static (int Top, int Bottom, int Left, int Right) CutBox(int height, int width, double lambda, Random rng)
    {
        var ratio = Math.Sqrt(1 - lambda);
        var (ch, cw) = ((int)(height * ratio), (int)(width * ratio));
        var (cy, cx) = (rng.Next(height), rng.Next(width));
        return (Math.Clamp(cy - (ch / 2), 0, height), Math.Clamp(cy + (ch / 2), 0, height), Math.Clamp(cx - (cw / 2), 0, width), Math.Clamp(cx + (cw / 2), 0, width));
    }
}
