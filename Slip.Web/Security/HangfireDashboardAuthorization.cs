using Hangfire.Dashboard;

namespace Slip.Web.Security;

/// <summary>
/// Opens the Hangfire dashboard to signed-in users only (the endpoint's policy already sent anyone else to sign in):
/// operators and admins may act in it (requeue, delete), viewers only look.
/// </summary>
public sealed class HangfireDashboardAuthorization : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => context.GetHttpContext().User.Identity?.IsAuthenticated == true;

    public static bool IsReadOnly(DashboardContext context) => !Roles.CanOperate(context.GetHttpContext().User);
}
