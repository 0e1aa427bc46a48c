namespace Slip.Web.Tests;

/// <summary>What the tests ask about the child processes (trainers, evaluators) a host started.</summary>
internal static class Processes
{
    /// <summary>Whether the process is gone (exited, or no longer known).</summary>
    public static bool HasExited(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
