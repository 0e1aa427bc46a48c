using static TorchSharp.torch;

namespace Slip.Training.Models;

/// <summary>Shared attention arithmetic for both towers: split a fused q|k|v tensor into heads and attend.</summary>
public static class MultiHeadAttention
{
    /// <summary>Fused [B, T, 3D] q|k|v to attended values [B, T, D], scaled by head_dim^-0.5.</summary>
    public static Tensor Attend(Tensor qkv, int heads, bool causal)
    {
        var (b, t, threeD) = (qkv.shape[0], qkv.shape[1], qkv.shape[2]);
        var d = threeD / 3;
        var parts = qkv.view(b, t, 3, heads, d / heads).permute(2, 0, 3, 1, 4); // [3, B, h, T, hd]
        var y = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2], is_casual: causal); // [B, h, T, hd]
        return y.transpose(1, 2).reshape(b, t, d);                              // [B, T, D]
    }
}
