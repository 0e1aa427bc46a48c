using Slip.Web.Api;
using Slip.Web.Components;
using Slip.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddSlipSharedSettings().AddSlip();

var app = builder.Build();
if (args.FirstOrDefault() == MetricsBench.Verb)
{
    return await MetricsBench.RunAsync(app.Services, args);
}

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
}

app.UseStatusCodePages();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapSlipApi();
app.MapSlipHangfireDashboard();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();
return 0;

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
