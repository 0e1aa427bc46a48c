namespace Slip.Training;

/// <summary>The <c>dotnet</c> host that starts a trainer child process (<c>dotnet Slip.Training.dll train ...</c>).</summary>
public static class DotnetHost
{
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
