using System.Diagnostics;
using Slip.Web.Workers;

namespace Slip.Web.Tests;

public sealed class TrainerEnvironmentTests
{
    [Fact]
    public void TheTrainerDoesNotInheritTheHostsSecrets()
    {
        var start = new ProcessStartInfo("trainer");
        start.Environment["ConnectionStrings__Slip"] = "Host=db;Password=pw";
        start.Environment["Storage__Password"] = "pw";
        start.Environment["Slip__Auth__AdminPassword"] = "admin-pw";
        start.Environment["SLIP_API_KEY"] = "slip_abc";
        start.Environment["GITHUB_TOKEN"] = "t";
        start.Environment["PATH"] = "/usr/bin";
        start.Environment["SLIP_FAULT_NAN_AT_STEP"] = "3";

        TrainerProcess.ScrubSecrets(start);

        Assert.DoesNotContain(start.Environment.Keys, k => k is "ConnectionStrings__Slip" or "Storage__Password" or "Slip__Auth__AdminPassword" or "SLIP_API_KEY" or "GITHUB_TOKEN");
        Assert.Equal(("/usr/bin", "3"), (start.Environment["PATH"], start.Environment["SLIP_FAULT_NAN_AT_STEP"]));
    }
}
