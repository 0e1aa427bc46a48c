namespace Slip.Data;

/// <summary>Someone who may sign in to the dashboard and API, with one role: Viewer, Operator or Admin.</summary>
public class User
{
    public long Id { get; set; }

    /// <summary>The sign-in name, stored in lower case (names are not case-sensitive).</summary>
    public string Name { get; set; } = "";

    /// <summary>ASP.NET Core Identity's PBKDF2 hash with its salt and parameters (or Slip's earlier "pbkdf2-sha256$iterations$salt$hash", re-hashed at the next sign-in); never the password.</summary>
    public string PasswordHash { get; set; } = "";

    public string Role { get; set; } = "Viewer";

    /// <summary>Changes with the password; sign-in cookies carry it, and one with an old stamp no longer signs anyone in.</summary>
    public string SecurityStamp { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public DateTime? LastSignInAt { get; set; }
}
