using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Slip.Web.Hosting;

namespace Slip.Web.Tests;

[Collection("hosts")]
public sealed class ConfigurationTests
{
    [Fact]
    public async Task TheRepositoryAppSettingsIsReadAndEnvironmentVariablesOverrideIt()
    {
        Environment.SetEnvironmentVariable("Slip__TrainerThreads", "3");
        try
        {
            await using var app = new SlipAppFactory();
            var configuration = app.Get<IConfiguration>();
            var options = app.Get<IOptions<SlipOptions>>().Value;

            // Only the root appsettings.json sets these.
            Assert.Equal("Warning", configuration["Logging:LogLevel:Microsoft.EntityFrameworkCore"]);
            Assert.Equal(["cpu"], options.Workers.EffectiveDevices);
            Assert.Equal(3, options.TrainerThreads);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Slip__TrainerThreads", null);
        }
    }

    [Fact]
    public void DevicesDefaultToOneCpuWorker() => Assert.Equal(["cpu"], new WorkerOptions().EffectiveDevices);
}
