using System.Formats.Tar;
using System.Text;
using System.Text.Json;

namespace Slip.Training.Datasets.Sources;

/// <summary>
/// WebDataset tar shards as img2dataset writes them: consecutive members sharing a key (the path up to the first dot
/// of the file name) form a sample; <c>jpg</c>/<c>jpeg</c>/<c>png</c>/<c>webp</c> is the image, <c>txt</c> the
/// caption. Shards are read as streams, one member at a time, never unpacked to disk. Each pass deals the shards,
/// in an order seeded by (seed, epoch, pass), round-robin to the ranks, and mixes samples through a seeded shuffle
/// buffer, as webdataset's <c>shuffle(n)</c> does.
/// </summary>
public sealed class WebDatasetSource : ISampleSource
{
    public static readonly string[] ImageExtensions = ["jpg", "jpeg", "png", "webp"];

    private readonly int shuffleBuffer;

    public WebDatasetSource(IReadOnlyList<string> shards, int shuffleBuffer)
    {
        Shards = shards;
        this.shuffleBuffer = Math.Max(1, shuffleBuffer);
        Count = CountFromStats(shards);
    }

    public IReadOnlyList<string> Shards { get; }

    /// <summary>From img2dataset's per-shard <c>NNNNN_stats.json</c> ("successes") or a <c>sizes.json</c> beside the shards; null when neither covers every shard.</summary>
    public long? Count { get; }

    public IEnumerable<RawSample> Stream(int seed, int epoch, int rank, int world, long skip)
    {
        if (Shards.Count < world)
        {
            throw new InvalidOperationException($"{Shards.Count} shards cannot be split across {world} workers; each needs at least one.");
        }

        for (var pass = 0; ; pass++)
        {
            var order = Enumerable.Range(0, Shards.Count).ToArray();
            var rng = new Random(unchecked((seed * 7919) + (epoch * 104_729) + (pass * 15_485_863) + 7));
            rng.Shuffle(order);
            var mine = order.Where((_, i) => i % world == rank).Select(i => Shards[i]);
            var yielded = false;
            foreach (var sample in Shuffle(mine.SelectMany(ReadShard), rng))
            {
                yielded = true;
                if (skip > 0)
                {
                    skip--;
                    continue;
                }

                yield return sample;
            }

            if (!yielded)
            {
                yield break;
            }
        }
    }

    /// <summary>The samples of one shard, in file order. A shard that cannot be read yields one sample saying why.</summary>
    public static IEnumerable<RawSample> ReadShard(string shard)
    {
        Stream stream;
        try
        {
            stream = File.OpenRead(shard);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [new RawSample(shard, null) { Problem = $"shard unreadable: {ex.Message}" }];
        }

        return ReadMembers(stream, shard);
    }

    private static IEnumerable<RawSample> ReadMembers(Stream stream, string shard)
    {
        using var _ = stream;
        using var reader = new TarReader(stream);
        string? key = null;
        var fields = new Dictionary<string, byte[]>();
        while (true)
        {
            TarEntry? entry = null;
            RawSample? completed = null;
            string? problem = null;
            try
            {
                entry = reader.GetNextEntry(copyData: false);
                if (entry is { EntryType: TarEntryType.RegularFile or TarEntryType.V7RegularFile } && entry.DataStream is { } data)
                {
                    var (memberKey, extension) = Split(entry.Name);
                    if (memberKey != key && key is not null)
                    {
                        completed = ToSample(key, fields);
                        fields = [];
                    }

                    key = memberKey;
                    using var buffer = new MemoryStream((int)Math.Min(entry.Length, int.MaxValue));
                    data.CopyTo(buffer);
                    fields[extension] = buffer.ToArray();
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or IOException)
            {
                problem = $"shard '{Path.GetFileName(shard)}' is truncated or corrupt after '{key}': {ex.Message}";
            }

            if (completed is not null)
            {
                yield return completed;
            }

            if (problem is not null)
            {
                yield return new RawSample(key ?? shard, null) { Problem = problem };
                yield break;
            }

            if (entry is null)
            {
                break;
            }
        }

        if (key is not null)
        {
            yield return ToSample(key, fields);
        }
    }

    private static RawSample ToSample(string key, Dictionary<string, byte[]> fields)
    {
        var caption = fields.TryGetValue("txt", out var txt) ? Encoding.UTF8.GetString(txt).Trim() : null;
        var image = ImageExtensions.Select(e => fields.GetValueOrDefault(e)).FirstOrDefault(b => b is not null);
        return new RawSample(key, string.IsNullOrEmpty(caption) ? null : caption)
        {
            Encoded = image,
            Problem = image is null ? "no image (jpg, png or webp) in the sample" : null,
        };
    }

    /// <summary>
    /// Counts a shard's samples from its member headers alone (the data is skipped, by seeking on files), for shards
    /// without stats files. Throws <see cref="InvalidDataException"/> when the shard is not a readable tar.
    /// </summary>
    public static long CountSamples(string shard)
    {
        using var stream = File.OpenRead(shard);
        using var reader = new TarReader(stream);
        string? key = null;
        long count = 0;
        try
        {
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && Split(entry.Name).Key is var k && k != key)
                {
                    (key, count) = (k, count + 1);
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"The shard '{shard}' is not a readable tar: {ex.Message}", ex);
        }

        return count;
    }

    /// <summary>webdataset's base_plus_ext: the key is the path up to the first dot of the file name, the extension the rest, lower-cased.</summary>
    public static (string Key, string Extension) Split(string name)
    {
        var slash = name.LastIndexOf('/');
        var dot = name.IndexOf('.', slash + 1);
        return dot < 0 ? (name, "") : (name[..dot], name[(dot + 1)..].ToLowerInvariant());
    }

    private IEnumerable<RawSample> Shuffle(IEnumerable<RawSample> samples, Random rng)
    {
        var buffer = new List<RawSample>(shuffleBuffer);
        foreach (var sample in samples)
        {
            if (buffer.Count < shuffleBuffer)
            {
                buffer.Add(sample);
                continue;
            }

            var i = rng.Next(buffer.Count);
            yield return buffer[i];
            buffer[i] = sample;
        }

        while (buffer.Count > 0)
        {
            var i = rng.Next(buffer.Count);
            yield return buffer[i];
            buffer[i] = buffer[^1];
            buffer.RemoveAt(buffer.Count - 1);
        }
    }

    private static long? CountFromStats(IReadOnlyList<string> shards)
    {
        long total = 0;
        var sizes = new Dictionary<string, Dictionary<string, long>?>();
        foreach (var shard in shards)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(shard))!;
            var name = Path.GetFileNameWithoutExtension(shard);
            var stats = Path.Combine(folder, name + "_stats.json");
            if (!sizes.TryGetValue(folder, out var table))
            {
                var file = Path.Combine(folder, "sizes.json");
                table = sizes[folder] = File.Exists(file) ? ReadJson<Dictionary<string, long>>(file) : null;
            }

            if (table is not null && table.TryGetValue(Path.GetFileName(shard), out var n))
            {
                total += n;
            }
            else if (File.Exists(stats) && ReadJson<JsonElement>(stats) is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("successes", out var successes))
            {
                total += successes.GetInt64();
            }
            else
            {
                return null;
            }
        }

        return total;
    }

    private static T? ReadJson<T>(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
