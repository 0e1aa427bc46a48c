namespace Slip.Web.Security;

/// <summary>
/// Who may do what. Viewers read everything; operators also launch, cancel, resume, evaluate, label and delete runs
/// and register datasets; admins also manage users.
/// </summary>
public static class Roles
{
    public const string Viewer = "Viewer";
    public const string Operator = "Operator";
    public const string Admin = "Admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    /// <summary>Whether the user may launch, cancel, resume, evaluate, label or delete (operators and admins).</summary>
    public static bool CanOperate(System.Security.Claims.ClaimsPrincipal user) => user.IsInRole(Operator) || user.IsInRole(Admin);

    /// <summary>The role as stored (Viewer, Operator or Admin), or null if it is none of them.</summary>
    public static string? Parse(string? role) => All.FirstOrDefault(r => string.Equals(r, role?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>Authorization policy names.</summary>
public static class Policies
{
    /// <summary>Operators and admins: anything that changes runs, evaluations or datasets.</summary>
    public const string Operate = "operate";

    /// <summary>Admins: users and their roles.</summary>
    public const string Administer = "administer";
}
