using System.Runtime.InteropServices;
using Slip.Training.Torch;

namespace Slip.Training.Tests;

public sealed class NativeHeapTests
{
    private const int Blocks = 16;
    private const int BlockBytes = 1 << 20;
    private const int Page = 4096;

    [Fact]
    public void FreedMemoryIsReusedWithoutFaultingItsPagesAgain()
    {
        Assert.True(NativeHeap.KeepFreedMemory(), "mallopt refused the settings.");

        // As a training step does: the same blocks allocated, written and freed again and again. Glibc's defaults give
        // the freed top of the heap back to the system, so every round faults all its pages in again.
        AllocateTouchAndFree();   // the first round maps the memory
        var before = MinorFaultsOfThisThread();
        const int rounds = 20;
        for (var i = 0; i < rounds; i++)
        {
            AllocateTouchAndFree();
        }

        var faults = MinorFaultsOfThisThread() - before;
        var pages = rounds * Blocks * (BlockBytes / Page);
        Assert.True(faults < pages / 10, $"{faults:N0} page faults in {rounds} rounds that wrote {pages:N0} pages: freed memory was given back and faulted in again.");
    }

    private static void AllocateTouchAndFree()
    {
        // AllocHGlobal is malloc on Unix.
        var blocks = new nint[Blocks];
        for (var b = 0; b < Blocks; b++)
        {
            blocks[b] = Marshal.AllocHGlobal(BlockBytes);
            for (var offset = 0; offset < BlockBytes; offset += Page)
            {
                Marshal.WriteByte(blocks[b], offset, 1);
            }
        }

        for (var b = Blocks - 1; b >= 0; b--)
        {
            Marshal.FreeHGlobal(blocks[b]);
        }
    }

    private static long MinorFaultsOfThisThread()
    {
        // struct rusage: two timevals (four longs), then ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ...
        var usage = new long[18];
        Assert.Equal(0, GetResourceUsage(RusageThread, usage));
        return usage[8];
    }

    private const int RusageThread = 1;

    [DllImport("libc.so.6", EntryPoint = "getrusage")]
    private static extern int GetResourceUsage(int who, [Out] long[] usage);
}
