using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Slip.Data;

namespace Slip.Web.Security;

/// <summary>A user as pages and the API show it (never the hash).</summary>
public sealed record UserView(long Id, string Name, string Role, DateTime CreatedAt, DateTime? LastSignInAt)
{
    /// <summary>Changes with the password: a session whose cookie carries another stamp has ended.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string SecurityStamp { get; init; } = "";
}

/// <summary>An API key as listed (never the key).</summary>
public sealed record ApiKeyView(long Id, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt);

/// <summary>Users, their passwords, roles and API keys.</summary>
public sealed class UserStore(IDbContextFactory<SlipDbContext> dbFactory, SignInThrottle throttle)
{
    public const int MinPasswordLength = 10;
    private const string KeyPrefix = "slip_";

    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }

    /// <summary>Creates a user; returns the problem (name taken, weak password, unknown role) instead when there is one.</summary>
    public async Task<(UserView? User, string? Problem)> CreateAsync(string name, string password, string role, CancellationToken ct = default)
    {
        var normalized = NormalizeName(name);
        if ((NameProblem(normalized) ?? PasswordProblem(password)) is { } problem)
        {
            return (null, problem);
        }

        if (Roles.Parse(role) is not { } parsed)
        {
            return (null, $"Unknown role '{role}'. Use {string.Join(", ", Roles.All)}.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Users.AnyAsync(u => u.Name == normalized, ct))
        {
            return (null, $"A user named '{normalized}' already exists.");
        }

        var user = new User { Name = normalized, PasswordHash = PasswordHashing.Hash(password), Role = parsed, CreatedAt = DateTime.UtcNow };
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return (View(user), null);
    }

    /// <summary>The user if the name and password match, else null; records the sign-in.</summary>
    public async Task<UserView?> VerifyAsync(string? name, string? password, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(password))
        {
            return null;
        }

        var normalized = NormalizeName(name);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Name == normalized, ct);
        var check = user is null ? PasswordCheck.Failed : PasswordHashing.Verify(password, user.PasswordHash);
        if (check == PasswordCheck.Failed)
        {
            return null;
        }

        if (check == PasswordCheck.SuccessRehashNeeded)
        {
            user!.PasswordHash = PasswordHashing.Hash(password);   // today's parameters, now that the password is known
        }

        user!.LastSignInAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
        return View(user);
    }

    public async Task<UserView?> FindAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => new UserView(u.Id, u.Name, u.Role, u.CreatedAt, u.LastSignInAt) { SecurityStamp = u.SecurityStamp }).SingleOrDefaultAsync(ct);
    }

    public async Task<List<UserView>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().OrderBy(u => u.Name).Select(u => new UserView(u.Id, u.Name, u.Role, u.CreatedAt, u.LastSignInAt)).ToListAsync(ct);
    }

    /// <summary>Changes a user's role; refuses to leave no admin.</summary>
    public async Task<string?> SetRoleAsync(long id, string role, CancellationToken ct = default)
    {
        if (Roles.Parse(role) is not { } parsed)
        {
            return $"Unknown role '{role}'.";
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, ct);
        if (user is null)
        {
            return "That user no longer exists.";
        }

        if (user.Role == Roles.Admin && parsed != Roles.Admin && await db.Users.CountAsync(u => u.Role == Roles.Admin, ct) == 1)
        {
            return "This is the only admin: make another user admin first.";
        }

        user.Role = parsed;
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>
    /// Sets a new password and ends every session of the account (its security stamp changes); the account's paused
    /// sign-ins (too many wrong passwords) may start again at once.
    /// </summary>
    public async Task<string?> SetPasswordAsync(long id, string password, CancellationToken ct = default)
    {
        if (PasswordProblem(password) is { } problem)
        {
            return problem;
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // A new stamp: every session signed in with the old password ends at its next request (SlipAuthentication).
        var updated = await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.PasswordHash, PasswordHashing.Hash(password))
            .SetProperty(u => u.SecurityStamp, Guid.NewGuid().ToString("N")), ct);
        if (updated != 1)
        {
            return "That user no longer exists.";
        }

        throttle.Forget(await db.Users.Where(u => u.Id == id).Select(u => u.Name).SingleAsync(ct));
        return null;
    }

    /// <summary>Deletes a user and their API keys; refuses to delete the last admin.</summary>
    public async Task<string?> DeleteAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, ct);
        if (user is null)
        {
            return null;
        }

        if (user.Role == Roles.Admin && await db.Users.CountAsync(u => u.Role == Roles.Admin, ct) == 1)
        {
            return "This is the only admin: make another user admin first.";
        }

        db.Users.Remove(user);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Makes an API key for a user: the key itself is returned once and only its hash is kept.</summary>
    public async Task<string> CreateApiKeyAsync(long userId, string name, CancellationToken ct = default)
    {
        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', '-').Replace('/', '_');
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiKeys.Add(new ApiKey
        {
            UserId = userId,
            Name = string.IsNullOrWhiteSpace(name) ? "key" : name.Trim()[..Math.Min(100, name.Trim().Length)],
            Prefix = key[..12],
            Hash = HashKey(key),
            CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync(ct);
        return key;
    }

    public async Task<List<ApiKeyView>> ApiKeysAsync(long userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).OrderBy(k => k.Id)
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt)).ToListAsync(ct);
    }

    public async Task RevokeApiKeyAsync(long userId, long keyId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.ApiKeys.Where(k => k.Id == keyId && k.UserId == userId).ExecuteDeleteAsync(ct);
    }

    /// <summary>The owner of an API key, or null if it is not a live key.</summary>
    public async Task<UserView?> FindByApiKeyAsync(string key, CancellationToken ct = default)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var hash = HashKey(key);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var owner = await db.ApiKeys.AsNoTracking().Where(k => k.Hash == hash)
            .Join(db.Users, k => k.UserId, u => u.Id, (k, u) => new { KeyId = k.Id, k.LastUsedAt, User = u })
            .SingleOrDefaultAsync(ct);
        if (owner is null)
        {
            return null;
        }

        if (owner.LastUsedAt is null || DateTime.UtcNow - owner.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            await db.ApiKeys.Where(k => k.Id == owner.KeyId).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, DateTime.UtcNow), ct);
        }

        return View(owner.User);
    }

    /// <summary>The claims Slip signs a user in with: id, name and role.</summary>
    /// <summary>The claim a sign-in cookie carries the user's security stamp in.</summary>
    public const string StampClaim = "slip:stamp";

    public static ClaimsPrincipal Principal(UserView user, string scheme) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(StampClaim, user.SecurityStamp)],
        scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>Whether a session's principal was signed in with the user's current password (a cookie from before stamps counts as the empty stamp).</summary>
    public static bool HasCurrentStamp(ClaimsPrincipal principal, UserView user) => (principal.FindFirst(StampClaim)?.Value ?? "") == user.SecurityStamp;

    public static string NormalizeName(string? name) => (name ?? "").Trim().ToLowerInvariant();

    public static string? NameProblem(string normalized) =>
        normalized.Length is 0 or > 64 || !normalized.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@')
            ? "A user name is 1 to 64 letters, digits, '.', '-', '_' or '@'."
            : null;

    public static string? PasswordProblem(string? password) =>
        (password?.Length ?? 0) < MinPasswordLength ? $"A password needs at least {MinPasswordLength} characters." : null;

    private static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    private static UserView View(User u) => new(u.Id, u.Name, u.Role, u.CreatedAt, u.LastSignInAt) { SecurityStamp = u.SecurityStamp };
}
