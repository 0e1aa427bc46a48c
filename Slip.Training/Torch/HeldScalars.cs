using TorchSharp;
using static TorchSharp.torch;

namespace Slip.Training.Torch;

/// <summary>
/// Tensor arithmetic that holds every <see cref="Scalar"/> it hands to libtorch until libtorch is done with it.
/// <para>
/// TorchSharp 0.107 frees a Scalar's native value in its finalizer, and its methods pass the handle to libtorch without
/// keeping the Scalar alive for the call. An implicit Scalar (<c>t * 0.5</c> converts 0.5; <c>t + u</c> and
/// <c>t.add_(0.5)</c> make their own alpha = 1) is garbage as soon as its handle is read, so a collection on another
/// thread during the call (the batch loader allocates all the time) can free it while libtorch still reads it: the run
/// crashes with "Unknown scalar type" or Scalar::toFloat's check, rarely, at any step. Slip's code therefore never
/// passes an implicit Scalar: it uses these methods, or holds one itself (<c>using var s = x.ToScalar();</c>). The
/// audit test reads Slip's compiled code and fails on any call that passes one (decision 0022).
/// </para>
/// </summary>
public static class HeldScalars
{
    /// <summary>1, the alpha of additions. A static root: never collected, so never finalized.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>0, the start of index ranges. A static root, as <see cref="One"/>.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><paramref name="a"/> + <paramref name="value"/>, element-wise.</summary>
    public static Tensor Plus(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.add(s, One);
    }

    /// <summary><paramref name="a"/> x <paramref name="factor"/>.</summary>
    public static Tensor Times(this Tensor a, double factor)
    {
        using var s = factor.ToScalar();
        return a.mul(s);
    }

    /// <summary><paramref name="a"/> / <paramref name="divisor"/>.</summary>
    public static Tensor DividedBy(this Tensor a, double divisor)
    {
        using var s = divisor.ToScalar();
        return a.div(s);
    }

    /// <summary><paramref name="a"/> to the power <paramref name="exponent"/>, element-wise.</summary>
    public static Tensor Power(this Tensor a, double exponent)
    {
        using var s = exponent.ToScalar();
        return a.pow(s);
    }

    /// <summary><paramref name="value"/> - <paramref name="a"/>, element-wise.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.neg().add_(s, One);
    }

    /// <summary><paramref name="a"/> x= <paramref name="factor"/>, in place.</summary>
    public static Tensor TimesInPlace(this Tensor a, double factor)
    {
        using var s = factor.ToScalar();
        return a.mul_(s);
    }

    /// <summary><paramref name="a"/> += <paramref name="value"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, double value)
    {
        using var s = value.ToScalar();
        return a.add_(s, One);
    }

    /// <summary>Clamps <paramref name="a"/> to [<paramref name="min"/>, <paramref name="max"/>], in place.</summary>
    public static Tensor ClampInPlace(this Tensor a, double min, double max)
    {
        using var low = min.ToScalar();
        using var high = max.ToScalar();
        return a.clamp_(low, high);
    }

    /// <summary>0, 1, ..., <paramref name="count"/> - 1 as int64 on <paramref name="device"/> (labels, row indices).</summary>
    public static Tensor Indices(long count, Device device)
    {
        using var stop = count.ToScalar();
        return arange(Zero, stop, One, ScalarType.Int64, device);
    }
}
