using Slip.Training.Losses;
using Slip.Training.Models;
using Slip.Training.Ssl;
using static TorchSharp.torch;

namespace Slip.Training.Objectives;

/// <summary>
/// Turns a model's outputs into the named losses the reference logs: CLIP (loss, clip_loss, clip_acc), the SSL
/// branch (loss, ssl_loss and, except for MIM, ssl_acc), SLIP (all, with loss = clip_loss + ssl_scale * ssl_loss).
/// </summary>
public static class ObjectiveLosses
{
    public static Dictionary<string, Tensor> Compute(RunConfig config, SlipOutputs outputs)
    {
        var result = new Dictionary<string, Tensor>();
        Tensor? clip = null, ssl = null;
        if (config.Objective is Objective.Clip or Objective.Slip)
        {
            var (loss, acc) = ClipLoss.Compute(outputs.ImageEmbed!, outputs.TextEmbed!, outputs.LogitScale!);
            result["clip_loss"] = clip = loss;
            result["clip_acc"] = acc;
        }

        if (config.Objective is Objective.SimClr or Objective.Slip)
        {
            var (loss, acc) = SslLoss(config, outputs);
            result["ssl_loss"] = ssl = loss;
            if (acc is not null)
            {
                result["ssl_acc"] = acc;
            }
        }

        result["loss"] = config.Objective switch
        {
            Objective.Clip => clip!,
            Objective.SimClr => ssl!,
            _ => clip! + config.SslScale * ssl!,
        };
        return result;
    }

    private static (Tensor Loss, Tensor? Accuracy) SslLoss(RunConfig config, SlipOutputs o) => config.SslMethod switch
    {
        SslMethods.MocoV3 => MocoLoss.Compute(o.Aug1Embed!, o.Aug2Embed!, o.Aug1Target!, o.Aug2Target!, config.SslTemperature),
        SslMethods.Byol => ByolLoss.Compute(o.Aug1Embed!, o.Aug2Embed!, o.Aug1Target!, o.Aug2Target!),
        SslMethods.Mim => (MaskedPatchLoss.Compute(o.MimPrediction!, o.MimTarget!), null),
        _ => NtXentLoss.Compute(o.Aug1Embed!, o.Aug2Embed!, config.SslTemperature),
    };
}
