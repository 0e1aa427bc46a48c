using Microsoft.Extensions.Options;
using Slip.Web.Hosting;

namespace Slip.Web.Security;

/// <summary>
/// At start-up (after migrations), when no user exists: creates the admin named in Slip:Auth:AdminName with the
/// password from Slip:Auth:AdminPassword (environment or user secrets), or else issues a one-time setup token for
/// the /setup page and says where to use it.
/// </summary>
public sealed class AdminBootstrap(UserStore users, SetupToken setup, IOptions<SlipOptions> options, IConfiguration configuration, ILogger<AdminBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await users.AnyAsync(cancellationToken))
        {
            return;
        }

        var auth = options.Value.Auth;
        if (!string.IsNullOrWhiteSpace(auth.AdminName) && !string.IsNullOrEmpty(auth.AdminPassword))
        {
            var (user, problem) = await users.CreateAsync(auth.AdminName, auth.AdminPassword, Roles.Admin, cancellationToken);
            if (user is null)
            {
                throw new InvalidOperationException($"Slip:Auth:AdminName / Slip:Auth:AdminPassword: {problem}");
            }

            logger.LogInformation("Created the first admin, '{Name}', from the configuration.", user.Name);
            return;
        }

        var token = setup.Issue(SetupFile(options.Value));
        var urls = (configuration["urls"] ?? "http://127.0.0.1:5180").Split(';')[0].TrimEnd('/');
        logger.LogWarning("No Slip user exists yet. Create the first admin at {Url}/setup?token={Token} (the token is also in {File}).", urls, token, SetupFile(options.Value));
    }

    public static string SetupFile(SlipOptions options) => Path.Combine(options.ResolvedDataDirectory, "setup-token");

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
