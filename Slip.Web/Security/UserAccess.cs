using Microsoft.AspNetCore.Components.Authorization;

namespace Slip.Web.Security;

/// <summary>What the signed-in user of a page may do, for components that show or hide their controls by role.</summary>
public static class UserAccess
{
    /// <summary>Whether the user may launch, cancel, resume, evaluate, label or delete (operators and admins).</summary>
    public static async Task<bool> CanOperateAsync(Task<AuthenticationState>? state)
    {
        if (state is null)
        {
            return false;
        }

        return Roles.CanOperate((await state).User);
    }
}
