using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Slip.Data;

namespace Slip.Web.Security;

/// <summary>How a password compared with a stored hash.</summary>
public enum PasswordCheck
{
    Failed,
    Success,

    /// <summary>It matched a hash made with weaker parameters than today's: store <see cref="PasswordHashing.Hash"/> of it.</summary>
    SuccessRehashNeeded,
}

/// <summary>
/// Password hashes by ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2-HMAC-SHA512 with a random
/// salt, versioned format) at OWASP's current 210,000 iterations. Hashes made with fewer iterations, and the
/// "pbkdf2-sha256$" hashes Slip wrote before, still verify, and ask to be re-hashed at the next sign-in.
/// </summary>
public static class PasswordHashing
{
    public const int Iterations = 210_000;
    private const string LegacyScheme = "pbkdf2-sha256";
    private static readonly PasswordHasher<User> Hasher = new(Options.Create(new PasswordHasherOptions { IterationCount = Iterations }));

    public static string Hash(string password) => Hasher.HashPassword(null!, password);

    /// <summary>Whether <paramref name="password"/> matches <paramref name="stored"/> (in constant time), and whether to re-hash it.</summary>
    public static PasswordCheck Verify(string password, string stored)
    {
        if (stored.StartsWith(LegacyScheme + "$", StringComparison.Ordinal))
        {
            return VerifyLegacy(password, stored) ? PasswordCheck.SuccessRehashNeeded : PasswordCheck.Failed;
        }

        try
        {
            return Hasher.VerifyHashedPassword(null!, stored, password) switch
            {
                PasswordVerificationResult.Success => PasswordCheck.Success,
                PasswordVerificationResult.SuccessRehashNeeded => PasswordCheck.SuccessRehashNeeded,
                _ => PasswordCheck.Failed,
            };
        }
        catch (FormatException)
        {
            return PasswordCheck.Failed;
        }
    }

    /// <summary>Slip's earlier hashes: "pbkdf2-sha256$iterations$salt$hash".</summary>
    private static bool VerifyLegacy(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }

        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
