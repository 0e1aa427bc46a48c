using System.Text.Json.Serialization;

namespace Slip.Training.Ssl;

/// <summary>
/// The image-image branches a SimCLR-only or SLIP run can train (docs/decisions/0007-ssl-methods.md). Each member
/// names the type that implements it: adding a method is one new <see cref="SslMethodSpec"/> file and one line here.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<SslMethod>))]
public enum SslMethod
{
    /// <summary>SimCLR's NT-Xent on two views, the reference's choice.</summary>
    [JsonStringEnumMemberName("simclr"), ImplementedBy(typeof(SimClrMethod))] SimClr,

    /// <summary>MoCo v3: predictor and momentum encoder, InfoNCE against the momentum keys.</summary>
    [JsonStringEnumMemberName("mocov3"), ImplementedBy(typeof(MocoV3Method))] MocoV3,

    /// <summary>BYOL: predictor and target network, normalised regression.</summary>
    [JsonStringEnumMemberName("byol"), ImplementedBy(typeof(ByolMethod))] Byol,

    /// <summary>Masked-image modelling in the spirit of BEiT: predict masked patches' normalised pixels.</summary>
    [JsonStringEnumMemberName("mim"), ImplementedBy(typeof(MimMethod))] Mim,
}

/// <summary>Finds the <see cref="SslMethodSpec"/> of a method.</summary>
public static class SslMethods
{
    public static SslMethodSpec Of(SslMethod method) => Implementations<SslMethod, SslMethodSpec>.Of(method);

    /// <summary>Every method, in declaration order.</summary>
    public static IReadOnlyList<SslMethodSpec> All => Implementations<SslMethod, SslMethodSpec>.All;
}
