namespace Slip.Data;

/// <summary>A key a user made for scripts (Authorization: Bearer slip_...); only its sha256 is stored, the key is shown once.</summary>
public class ApiKey
{
    public long Id { get; set; }

    public long UserId { get; set; }

    /// <summary>What the key is for ("laptop", "CI").</summary>
    public string Name { get; set; } = "";

    /// <summary>The key's first characters, to tell keys apart in the list.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>sha256 of the whole key, hex.</summary>
    public string Hash { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public DateTime? LastUsedAt { get; set; }
}
