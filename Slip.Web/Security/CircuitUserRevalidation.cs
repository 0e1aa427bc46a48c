using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;
using Slip.Web.Hosting;

namespace Slip.Web.Security;

/// <summary>
/// An open page (a Blazor circuit) checks its user again every <see cref="AuthOptions.CircuitRevalidationSeconds"/>:
/// a user who was deleted or whose role changed is no longer valid there, and the page reloads
/// (<c>RedirectToLogin</c>), so a deleted user lands on the sign-in page and a changed role applies at once.
/// </summary>
public sealed class CircuitUserRevalidation(ILoggerFactory loggers, UserStore users, IOptions<SlipOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(Math.Max(1, options.Value.Auth.CircuitRevalidationSeconds));

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        if (!long.TryParse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var id))
        {
            return false;
        }

        try
        {
            var user = await users.FindAsync(id, cancellationToken);
            return user is not null && principal.IsInRole(user.Role) && UserStore.HasCurrentStamp(principal, user);
        }
        catch (Exception ex) when (Hosting.StoreRetry.IsStoreFault(ex))
        {
            return true;   // the store is unreachable: the page keeps its user until the next check can answer
        }
    }
}
