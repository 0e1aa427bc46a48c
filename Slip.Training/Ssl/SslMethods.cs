namespace Slip.Training.Ssl;

/// <summary>
/// The image-image branches a SimCLR-only or SLIP run can train (docs/decisions/0007-ssl-methods.md):
/// SimCLR (the reference's), MoCo v3, BYOL and masked-image modelling in the spirit of BEiT.
/// </summary>
public static class SslMethods
{
    public const string SimClr = "simclr";
    public const string MocoV3 = "mocov3";
    public const string Byol = "byol";
    public const string Mim = "mim";

    public static IReadOnlyList<string> Names { get; } = [SimClr, MocoV3, Byol, Mim];

    /// <summary>Whether the method keeps an EMA copy of the vision tower and projector (a momentum or target network).</summary>
    public static bool HasMomentumEncoder(string method) => method is MocoV3 or Byol;

    /// <summary>The name users see: "SimCLR", "MoCo v3", "BYOL", "MIM".</summary>
    public static string Label(string method) => method switch
    {
        SimClr => "SimCLR",
        MocoV3 => "MoCo v3",
        Byol => "BYOL",
        Mim => "MIM",
        _ => method,
    };

    /// <summary>
    /// The method's own defaults: contrastive temperature (SimCLR 0.1 as in SLIP, MoCo v3 0.2 for ViTs) and base EMA
    /// momentum (MoCo v3 0.99 for ViTs, BYOL 0.996); the other fields keep what they had.
    /// </summary>
    public static RunConfig WithDefaults(RunConfig config, string method) => method switch
    {
        SimClr => config with { SslMethod = method, SslTemperature = 0.1 },
        MocoV3 => config with { SslMethod = method, SslTemperature = 0.2, SslMomentum = 0.99 },
        Byol => config with { SslMethod = method, SslMomentum = 0.996 },
        _ => config with { SslMethod = method },
    };

    /// <summary>
    /// The EMA momentum at a step, as MoCo v3 and BYOL schedule it: from the base value at the start, along a half
    /// cosine, to 1 at the end: <c>1 - (1 - base) (cos(pi step / total) + 1) / 2</c>.
    /// </summary>
    public static double MomentumAt(double baseMomentum, long step, long totalSteps) =>
        totalSteps <= 0 ? baseMomentum : 1 - ((1 - baseMomentum) * (Math.Cos(Math.PI * step / totalSteps) + 1) / 2);
}
