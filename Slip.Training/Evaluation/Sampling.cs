namespace Slip.Training.Evaluation;

/// <summary>Seeded draws from the distributions the evaluation recipes need, on a caller's <see cref="Random"/>.</summary>
public static class Sampling
{
    /// <summary>A standard normal draw (Box-Muller).</summary>
    public static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>A Beta(α, α) draw as G1 / (G1 + G2) with Gamma(α) draws.</summary>
    public static double Beta(double alpha, Random rng)
    {
        var a = Gamma(alpha, rng);
        var b = Gamma(alpha, rng);
        return a / (a + b);
    }

    /// <summary>Marsaglia and Tsang's Gamma(shape, 1) sampler, with the α &lt; 1 boost.</summary>
    private static double Gamma(double shape, Random rng)
    {
        if (shape < 1)
        {
            return Gamma(shape + 1, rng) * Math.Pow(rng.NextDouble(), 1 / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Gaussian(rng);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = rng.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }
}
