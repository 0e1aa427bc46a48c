namespace Slip.Web.Sweeps;

/// <summary>POST /api/sweeps/{id}/cancel: how many of the sweep's runs were cancelled.</summary>
public sealed record SweepCancelled(int Cancelled);

/// <summary>POST /api/sweeps/{id}/resume: how many runs were resumed, and why any others were not.</summary>
public sealed record SweepResumed(int Resumed, IReadOnlyList<string> Problems);
