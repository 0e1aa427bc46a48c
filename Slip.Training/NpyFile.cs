using System.Text;

namespace Slip.Training;

/// <summary>Writes float32 matrices as NumPy <c>.npy</c> files (format 1.0, little-endian, C order).</summary>
public static class NpyFile
{
    public static void WriteFloat32(string path, float[] values, int rows, int columns)
    {
        if (values.Length != rows * columns)
        {
            throw new ArgumentException($"{values.Length} values do not fill a {rows} x {columns} matrix.", nameof(values));
        }

        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in '\n'.
        var padded = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        writer.Write((ushort)padded.Length);
        writer.Write(Encoding.ASCII.GetBytes(padded));
        foreach (var v in values)
        {
            writer.Write(v);
        }
    }
}
