using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Slip.Web.Security;

/// <summary>
/// Sign-in for the dashboard, API and Hangfire dashboard: a cookie for browsers (HttpOnly, SameSite=Strict, so other
/// sites cannot post with it) and API keys for scripts; every endpoint needs a signed-in user unless it says otherwise.
/// </summary>
public static class SlipAuthentication
{
    private const string Selector = "Slip";

    public const string ForbiddenDetail = "Your role does not allow this: it needs an operator (or admin). Ask an admin to change your role.";

    public static IServiceCollection AddSlipAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<UserStore>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SetupToken>();
        services.AddAuthentication(Selector)
            .AddPolicyScheme(Selector, "cookie or API key", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "slip.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                o.SlidingExpiration = true;
                o.LoginPath = "/account/login";
                o.AccessDeniedPath = "/account/denied";
                o.Events.OnRedirectToLogin = context => ApiAnswers(context, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = context => ApiAnswers(context, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = RevalidateAsync;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Operate, p => p.RequireRole(Roles.Operator, Roles.Admin))
            .AddPolicy(Policies.Administer, p => p.RequireRole(Roles.Admin));
        services.AddCascadingAuthenticationState();
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, CircuitUserRevalidation>();
        services.AddHostedService<AdminBootstrap>();
        return services;
    }

    /// <summary>API requests get a status code (and a problem body), pages a redirect to sign in.</summary>
    private static Task ApiAnswers(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/hangfire/stats"))
        {
            context.Response.StatusCode = status;
            return context.Response.WriteAsJsonAsync(new
            {
                title = status == 401 ? "Sign in first" : "Not allowed",
                status,
                detail = status == 401
                    ? "This API needs a signed-in user: send 'Authorization: Bearer <API key>' (make one on your account page)."
                    : ForbiddenDetail,
            });
        }

        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A cookie of a deleted user, or one signed in before the password changed, stops working, and one whose role
    /// changed takes the new role, on the next request.
    /// </summary>
    private static async Task RevalidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
        var users = context.HttpContext.RequestServices.GetRequiredService<UserStore>();
        var user = long.TryParse(id, out var userId) ? await users.FindAsync(userId, context.HttpContext.RequestAborted) : null;
        if (user is null || !UserStore.HasCurrentStamp(context.Principal!, user))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        else if (!context.Principal!.IsInRole(user.Role))
        {
            context.ReplacePrincipal(UserStore.Principal(user, CookieAuthenticationDefaults.AuthenticationScheme));
            context.ShouldRenew = true;
        }
    }
}
