using Slip.Web.Api;
using Slip.Web.Components;
using Slip.Web.Hosting;
using Slip.Web.Security;

var builder = WebApplication.CreateBuilder(args);
WebApplication app;
try
{
    builder.AddSlipSharedSettings().AddSlip();
    app = builder.Build();
}
catch (SlipConfigurationException ex)
{
    Console.Error.WriteLine($"Slip cannot start: {ex.Message}");
    return 2;
}

if (args.FirstOrDefault() == MetricsBench.Verb)
{
    return await MetricsBench.RunAsync(app.Services, args);
}

app.UseForwardedHeaders();   // first: everything after sees the client behind a configured proxy (Slip:Proxy)
app.MapSlipHealthChecks();
app.MapSlipMetrics();
if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SlipOptions>>().Value.IsWorkerOnly)
{
    app.Run();
    return 0;
}

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
}

app.UseStatusCodePages();
app.UseStoreOutageAnswer();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();
app.MapStaticAssets().AllowAnonymous();
app.MapSlipApi();
app.MapSlipOpenApi();
app.MapAccountEndpoints();
app.MapSlipHangfireDashboard();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();
return 0;

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
