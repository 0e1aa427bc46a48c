namespace Slip.Data;

/// <summary>A checkpoint file a run wrote, with its size and SHA-256 so a download can be verified.</summary>
public class Checkpoint
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public int Epoch { get; set; }

    public long Step { get; set; }

    public string FilePath { get; set; } = "";

    public long Bytes { get; set; }

    /// <summary>Lower-case hex SHA-256 of the file (64 characters).</summary>
    public string Sha256 { get; set; } = "";

    public DateTime CreatedAt { get; set; }
}
