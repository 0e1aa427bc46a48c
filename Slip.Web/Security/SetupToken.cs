using System.Security.Cryptography;

namespace Slip.Web.Security;

/// <summary>
/// The one-time token that lets the first admin be created on /setup when no user exists and none is configured.
/// It is printed to the log and written, readable by its owner only, to the data directory's setup-token file.
/// </summary>
public sealed class SetupToken
{
    private string? value;

    public bool Active => Volatile.Read(ref value) is not null;

    public string Issue(string file)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, token + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Volatile.Write(ref value, token);
        return token;
    }

    /// <summary>Whether <paramref name="candidate"/> is the live token (compared in constant time).</summary>
    public bool Matches(string? candidate)
    {
        var token = Volatile.Read(ref value);
        return token is not null && candidate is not null
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(candidate.Trim()));
    }

    /// <summary>
    /// Takes the token if <paramref name="candidate"/> is it, atomically: of two requests at the same moment only one
    /// gets it (and may create the first admin). Give it back with <see cref="Restore"/> if that fails.
    /// </summary>
    public bool TryRedeem(string? candidate, out string redeemed)
    {
        redeemed = Volatile.Read(ref value) ?? "";
        return Matches(candidate) && Interlocked.CompareExchange(ref value, null, redeemed) == redeemed;
    }

    /// <summary>Makes a redeemed token live again (the first admin could not be created: a bad name or password).</summary>
    public void Restore(string redeemed) => Interlocked.CompareExchange(ref value, redeemed, null);

    /// <summary>Ends the token once the first admin exists, and deletes its file.</summary>
    public void Retire(string file)
    {
        Volatile.Write(ref value, null);
        File.Delete(file);
    }
}
