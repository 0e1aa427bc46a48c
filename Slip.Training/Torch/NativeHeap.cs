using System.Runtime.InteropServices;

namespace Slip.Training.Torch;

/// <summary>
/// glibc's malloc set for libtorch's pattern of allocation: every step frees and allocates again the same few hundred
/// megabytes of activations and gradients. By default glibc gives freed memory at the top of its heap back to the
/// system and maps large blocks afresh, so each step faults and zeroes those pages again (a tenth of a ViT-Ti/16
/// step was the kernel's). Kept instead, a step reuses them (docs/decisions/0023-native-heap.md).
/// </summary>
public static class NativeHeap
{
    // mallopt's parameters (malloc.h).
    private const int TrimThreshold = -1;
    private const int TopPad = -2;
    private const int MmapThreshold = -3;

    /// <summary>Blocks up to this size come from the heap, not fresh mappings (glibc's largest allowed threshold).</summary>
    public const int MappedAbove = 32 << 20;

    /// <summary>Each growth of the heap asks the system for this much more than it needs.</summary>
    public const int GrowthPadding = 256 << 20;

    /// <summary>Keeps freed native memory in the process; false where the C library is not glibc (nothing changes there).</summary>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return (Mallopt(MmapThreshold, MappedAbove) & Mallopt(TrimThreshold, int.MaxValue) & Mallopt(TopPad, GrowthPadding)) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // DllImport, not LibraryImport: its generated code needs unsafe blocks, and this blittable call marshals nothing.
    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
