using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Slip.Web.Security;

/// <summary>Signing out: a POST with the anti-forgery token (the form is in the top bar's account menu).</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/logout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.Problem("The sign-out form's anti-forgery token is missing or stale: reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
            }

            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/account/login");
        }).AllowAnonymous();
        return app;
    }
}
