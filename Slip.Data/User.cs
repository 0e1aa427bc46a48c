namespace Slip.Data;

/// <summary>Someone who may sign in to the dashboard and API, with one role: Viewer, Operator or Admin.</summary>
public class User
{
    public long Id { get; set; }

    /// <summary>The sign-in name, stored in lower case (names are not case-sensitive).</summary>
    public string Name { get; set; } = "";

    /// <summary>PBKDF2-SHA256 hash with its salt and iteration count ("pbkdf2-sha256$iterations$salt$hash"); never the password.</summary>
    public string PasswordHash { get; set; } = "";

    public string Role { get; set; } = "Viewer";

    public DateTime CreatedAt { get; set; }

    public DateTime? LastSignInAt { get; set; }
}
