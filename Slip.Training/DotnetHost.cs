namespace Slip.Training;

/// <summary>The <c>dotnet</c> host that starts a trainer child process (<c>dotnet Slip.Training.dll train ...</c>), and its environment.</summary>
public static class DotnetHost
{
    /// <summary>The GC setting every trainer and evaluation process gets unless the environment already sets it.</summary>
    public const string Gen0SizeVariable = "DOTNET_GCgen0size";

    /// <summary>
    /// A 1 GiB gen0 budget: far fewer collections, so far fewer chances for TorchSharp's finalizer to free an implicitly
    /// converted <c>Scalar</c> while a native call still reads it (decision 0018). Three 6-epoch SLIP runs on the emoji
    /// set crashed 0 times with it, against about one crash per 6 epochs without.
    /// </summary>
    public const string Gen0Size = "0x40000000";

    /// <summary>Gives a trainer or evaluation child process the environment it should run with.</summary>
    public static void Prepare(System.Diagnostics.ProcessStartInfo start)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Gen0SizeVariable)) && !start.Environment.ContainsKey(Gen0SizeVariable))
        {
            start.Environment[Gen0SizeVariable] = Gen0Size;
        }
    }

    /// <summary>The SDK's host (dotnet run/test set DOTNET_HOST_PATH), else the one running this process, else <c>dotnet</c> on the PATH.</summary>
    public static string Path()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var self = Environment.ProcessPath;
        return self is not null && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
