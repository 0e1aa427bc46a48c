using System.CommandLine;
using System.Text.Json;

namespace Slip.Training.Cli;

/// <summary>
/// <c>doctor [--device d ...] [--json]</c>: whether this machine can train. Reports the libtorch this Slip runs
/// (TorchSharp's version, threads, CUDA and cuDNN, the CPU's bf16 units), then checks each device as
/// <see cref="DeviceCheck"/> does. Without --device it checks the CPU and every visible GPU. Exit code 0 when every
/// device passed, 3 otherwise; each worker runs it for its device when it starts (the Queue view shows the result).
/// </summary>
internal static class DoctorVerb
{
    public static Command Create()
    {
        var devices = new Option<string[]>("--device")
        {
            Description = $"A device to check ({Placement.Accepted}); repeat for more (default: cpu and every visible GPU).",
            HelpName = "device",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = new Option<bool>("--json") { Description = "Write the report as one JSON object (what the worker reads)." };
        var threads = CliOptions.Threads();
        var command = new Command("doctor", "Check that libtorch loads and each device trains: a few Micro SLIP steps on it must give the CPU's losses.")
        {
            devices, json, threads,
        };
        command.SetAction(parsed =>
        {
            CliOptions.PrepareTorch(parsed, threads);
            var report = DeviceCheck.Report();
            var asked = parsed.GetValue(devices) is { Length: > 0 } given
                ? given
                : ["cpu", .. Enumerable.Range(0, report.CudaDevices).Select(i => $"cuda:{i}")];
            if (!parsed.GetValue(json))
            {
                Console.WriteLine($"libtorch: TorchSharp {report.TorchSharp}, {report.Threads} CPU threads, CUDA {(report.CudaAvailable ? $"{report.CudaDevices} device(s), cuDNN {(report.CudnnAvailable ? "yes" : "no")}" : "not available")}, CPU bf16 units: {report.CpuBf16 ?? "none (bf16 runs emulated, slowly)"}");
            }

            var results = new List<DeviceCheckResult>();
            foreach (var device in asked)
            {
                var result = DeviceCheck.Run(device);
                results.Add(result);
                if (!parsed.GetValue(json))
                {
                    Console.WriteLine($"{(result.Passed ? "ok  " : "FAIL")} {result.Device}: {result.Summary}");
                }
            }

            var passed = results.All(r => r.Passed);
            if (parsed.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { Passed = passed, Torch = report, Devices = results }, RunConfig.JsonOptions));
            }

            return passed ? ExitCodes.Completed : ExitCodes.Failed;
        });
        return command;
    }
}
