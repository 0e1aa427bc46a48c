using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Slip.Web.Hosting;

/// <summary>A setting that cannot work as given; the app stops with this message (no stack trace).</summary>
public sealed class SlipConfigurationException(string message) : Exception(message);

/// <summary>
/// Secrets (the database password, the first admin's password, the metrics scrape token) come only from the environment, user secrets or a
/// file named by Storage:PasswordFile (Docker secrets), never from appsettings.json; and they are never logged.
/// </summary>
public static class SecretSettings
{
    /// <summary>Adds user secrets (dotnet user-secrets --project Slip.Web) in every environment, just below environment variables.</summary>
    public static void AddUserSecrets(WebApplicationBuilder builder)
    {
        var sources = builder.Configuration.Sources;
        var environment = sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource);
        foreach (var secrets in new ConfigurationBuilder().AddUserSecrets(typeof(SecretSettings).Assembly, optional: true).Sources)
        {
            sources.Insert(environment < 0 ? sources.Count : environment, secrets);
        }
    }

    /// <summary>Refuses a password written in a JSON settings file, naming the setting and where to put it instead.</summary>
    public static void Guard(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return;
        }

        foreach (var json in root.Providers.OfType<JsonConfigurationProvider>())
        {
            var file = json.Source.Path;
            if (json.TryGet("ConnectionStrings:Slip", out var connection) && connection?.Contains("password", StringComparison.OrdinalIgnoreCase) == true)
            {
                throw new SlipConfigurationException($"{file} holds a database password in ConnectionStrings:Slip. Keep secrets out of settings files: "
                    + "set Storage__Password (or ConnectionStrings__Slip) in the environment, use 'dotnet user-secrets set Storage:Password ... --project Slip.Web', or Storage:PasswordFile.");
            }

            foreach (var key in new[] { "Storage:Password", "Slip:Auth:AdminPassword", "Slip:Metrics:ScrapeToken" })
            {
                if (json.TryGet(key, out var value) && !string.IsNullOrEmpty(value))
                {
                    throw new SlipConfigurationException($"{file} sets {key}, a secret. Set it in the environment ({key.Replace(":", "__", StringComparison.Ordinal)}) or with 'dotnet user-secrets set {key} ... --project Slip.Web' instead.");
                }
            }
        }
    }

    /// <summary>The PostgreSQL connection string with the password from Storage:Password or Storage:PasswordFile added, if one is set.</summary>
    public static string? WithPassword(IConfiguration configuration, string? connectionString)
    {
        var password = configuration["Storage:Password"];
        if (string.IsNullOrEmpty(password) && configuration["Storage:PasswordFile"] is { Length: > 0 } file)
        {
            password = File.Exists(file)
                ? File.ReadAllText(file).TrimEnd('\r', '\n')
                : throw new SlipConfigurationException($"Storage:PasswordFile names '{file}', which does not exist.");
        }

        return string.IsNullOrEmpty(password) || string.IsNullOrWhiteSpace(connectionString)
            ? connectionString
            : new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Password = password }.ConnectionString;
    }
}
