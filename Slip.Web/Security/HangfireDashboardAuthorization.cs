using System.Net;
using Hangfire.Dashboard;

namespace Slip.Web.Security;

/// <summary>
/// Opens the Hangfire dashboard to signed-in users and to requests from this machine (loopback) only, unless
/// Slip:HangfireDashboardAllowRemote is set. Hangfire's own default filter answers 401 under test servers and
/// proxies, so this one is explicit.
/// </summary>
public sealed class HangfireDashboardAuthorization(bool allowRemote) : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        if (allowRemote)
        {
            return true;
        }

        var http = context.GetHttpContext();
        if (http.User.Identity?.IsAuthenticated == true)
        {
            return true;
        }

        var remote = http.Connection.RemoteIpAddress;
        return remote is not null && IPAddress.IsLoopback(remote);
    }
}
