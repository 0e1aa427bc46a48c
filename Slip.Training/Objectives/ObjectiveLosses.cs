using Slip.Training.Losses;
using Slip.Training.Models;
using static TorchSharp.torch;

namespace Slip.Training.Objectives;

/// <summary>
/// Turns a model's outputs into the named losses the reference logs: CLIP (loss, clip_loss, clip_acc),
/// SimCLR (loss, ssl_loss, ssl_acc), SLIP (all five, with loss = clip_loss + ssl_scale * ssl_loss).
/// </summary>
public static class ObjectiveLosses
{
    public static Dictionary<string, Tensor> Compute(Objective objective, SlipOutputs outputs, double sslScale, double sslTemperature)
    {
        var result = new Dictionary<string, Tensor>();
        Tensor? clip = null, ssl = null;
        if (objective is Objective.Clip or Objective.Slip)
        {
            var (loss, acc) = ClipLoss.Compute(outputs.ImageEmbed!, outputs.TextEmbed!, outputs.LogitScale!);
            result["clip_loss"] = clip = loss;
            result["clip_acc"] = acc;
        }

        if (objective is Objective.SimClr or Objective.Slip)
        {
            var (loss, acc) = NtXentLoss.Compute(outputs.Aug1Embed!, outputs.Aug2Embed!, sslTemperature);
            result["ssl_loss"] = ssl = loss;
            result["ssl_acc"] = acc;
        }

        result["loss"] = objective switch
        {
            Objective.Clip => clip!,
            Objective.SimClr => ssl!,
            _ => clip! + sslScale * ssl!,
        };
        return result;
    }
}
