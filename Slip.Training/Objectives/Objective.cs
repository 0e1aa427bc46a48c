using System.Text.Json.Serialization;

namespace Slip.Training;

/// <summary>
/// Which objective a run trains: CLIP (image-text), SimCLR (image-image) or SLIP (both, summed). Each member names the
/// <see cref="Objectives.ObjectiveSpec"/> that implements it.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<Objective>))]
public enum Objective
{
    [ImplementedBy(typeof(Objectives.ClipObjective))] Clip,
    [ImplementedBy(typeof(Objectives.SimClrObjective))] SimClr,
    [ImplementedBy(typeof(Objectives.SlipObjective))] Slip,
}
