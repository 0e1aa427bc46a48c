using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using Slip.Training.Datasets.Text;

namespace Slip.Training.Datasets;

/// <summary>
/// CLIP's byte-pair-encoding tokenizer (slip-reference section 4) on CLIP's <c>bpe_simple_vocab_16e6.txt.gz</c>, which
/// ships inside Slip (<see cref="BuiltIn"/>) or is read from a file: 49,408 tokens, start-of-text 49406, end-of-text 49407, padding 0.
/// Text is cleaned exactly as CLIP cleans it (<see cref="ClipTextCleaner"/>: ftfy 6.3.1's <c>fix_text</c>, including its
/// mojibake repair, then <c>html.unescape</c> twice, white space collapsed, Python's <c>lower()</c>) and split by CLIP's
/// pre-tokenizer over code points (<see cref="ClipPretokenizer"/>); see docs/decisions/0005 for the Unicode-version
/// caveat. Over-long captions are cut by <see cref="Truncation"/> (open_clip's rule unless made with <see cref="WithTruncation"/>).
/// </summary>
public sealed class ClipBpeTokenizer : ICaptionTokenizer
{
    public const int StartOfText = 49406;

    /// <summary>Words longer than this (in byte symbols) are not cached.</summary>
    private const int MaxCachedWord = 48;
    public const int EndOfText = 49407;
    public const int VocabSize = 49408;
    private const int MergeCount = 49152 - 256 - 2;

    private readonly Dictionary<string, int> encoder;
    private readonly Dictionary<(string, string), int> ranks;
    private readonly ConcurrentDictionary<string, int[]> cache;
    private static readonly HashSet<int> PrintableBytes =
        Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();

    /// <summary>GPT-2's reversible byte-to-unicode table, indexed by byte: printable bytes map to themselves, the rest to 256 + n.</summary>
    private static readonly string[] ByteToUnicode = BuildByteToUnicode();

    /// <summary>The first 256 vocabulary entries: printable bytes in byte order, then the remapped ones (the table's insertion order in CLIP).</summary>
    private static readonly string[] ByteSymbolsInVocabularyOrder =
        Enumerable.Range(0, 256).OrderBy(b => PrintableBytes.Contains(b) ? 0 : 1).Select(b => ByteToUnicode[b]).ToArray();

    private ClipBpeTokenizer(Dictionary<string, int> encoder, Dictionary<(string, string), int> ranks, ConcurrentDictionary<string, int[]>? cache = null)
    {
        this.encoder = encoder;
        this.ranks = ranks;
        this.cache = cache ?? new ConcurrentDictionary<string, int[]>();
    }

    /// <summary>What an over-long caption keeps (<see cref="Truncation.OpenClip"/> unless made with <see cref="WithTruncation"/>).</summary>
    public Truncation Truncation { get; private init; }

    /// <summary>This tokenizer with another truncation rule (the vocabulary and cache are shared).</summary>
    public ClipBpeTokenizer WithTruncation(Truncation truncation) => new(encoder, ranks, cache) { Truncation = truncation };

    /// <summary>The name of the embedded copy of CLIP's vocabulary (Datasets/Vocabulary, MIT).</summary>
    public const string BuiltInResource = "Slip.Training.bpe_simple_vocab_16e6.txt.gz";

    private static readonly Lazy<ClipBpeTokenizer> BuiltInTokenizer = new(() =>
    {
        using var stream = typeof(ClipBpeTokenizer).Assembly.GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidOperationException($"The built-in BPE vocabulary '{BuiltInResource}' is missing from the assembly.");
        return Read(stream, "the built-in vocabulary");
    });

    /// <summary>CLIP's tokenizer on the vocabulary that ships inside Slip (no file needed).</summary>
    public static ClipBpeTokenizer BuiltIn => BuiltInTokenizer.Value;

    /// <summary>Reads a merges file (gzip or plain text). Throws <see cref="InvalidDataException"/> when it is not CLIP's vocabulary.</summary>
    public static ClipBpeTokenizer Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The BPE vocabulary '{path}' does not exist.", path);
        }

        using var file = File.OpenRead(path);
        return Read(file, $"'{path}'");
    }

    private static ClipBpeTokenizer Read(Stream file, string name)
    {
        var lines = new List<string>();
        var buffered = new MemoryStream();
        file.CopyTo(buffered);
        buffered.Position = 0;
        var gzip = buffered.ReadByte() == 0x1f && buffered.ReadByte() == 0x8b;
        buffered.Position = 0;
        using (var stream = gzip ? new GZipStream(buffered, CompressionMode.Decompress) : (Stream)buffered)
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            while (reader.ReadLine() is { } line && lines.Count <= MergeCount)
            {
                lines.Add(line);
            }
        }

        var merges = lines.Skip(1).Take(MergeCount).Select(l => l.Split(' ')).ToList();
        if (merges.Count != MergeCount || merges.Any(m => m.Length != 2))
        {
            throw new InvalidDataException($"{name} is not CLIP's BPE vocabulary: it needs a header line and {MergeCount} merge lines of two symbols each.");
        }

        var vocab = new List<string>(VocabSize);
        vocab.AddRange(ByteSymbolsInVocabularyOrder);
        vocab.AddRange(ByteSymbolsInVocabularyOrder.Select(s => s + "</w>"));
        vocab.AddRange(merges.Select(m => m[0] + m[1]));
        vocab.Add("<|startoftext|>");
        vocab.Add("<|endoftext|>");
        var encoder = new Dictionary<string, int>(VocabSize);
        for (var i = 0; i < vocab.Count; i++)
        {
            encoder[vocab[i]] = i;
        }

        var ranks = new Dictionary<(string, string), int>(merges.Count);
        for (var i = 0; i < merges.Count; i++)
        {
            ranks.TryAdd((merges[i][0], merges[i][1]), i);
        }

        return new ClipBpeTokenizer(encoder, ranks);
    }

    /// <summary>The BPE ids of <paramref name="text"/>, without start and end tokens.</summary>
    public List<int> Encode(string text) => Encode(text, int.MaxValue);

    /// <summary>
    /// The first ids of <paramref name="text"/>, at least <paramref name="enough"/> of them when it has that many: words
    /// are encoded independently, so stopping early changes none of the ids kept.
    /// </summary>
    private List<int> Encode(string text, int enough)
    {
        var ids = new List<int>();
        var cleaned = Clean(text);
        foreach (var (start, length) in ClipPretokenizer.Split(cleaned))
        {
            var word = string.Concat(Encoding.UTF8.GetBytes(cleaned, start, length).Select(b => ByteToUnicode[b]));
            ids.AddRange(Bpe(word));
            if (ids.Count >= enough)
            {
                break;
            }
        }

        return ids;
    }

    /// <summary>[SOT] + ids + [EOT], zero-padded to <paramref name="contextLength"/>, over-long text cut by <see cref="Truncation"/>.</summary>
    public long[] Tokenize(string text, int contextLength) => CaptionRows.Fit(Encode(text, contextLength), StartOfText, EndOfText, contextLength, Truncation);

    /// <summary>The text CLIP's pre-tokenizer sees: <paramref name="text"/> repaired by ftfy's rules, unescaped, white
    /// space collapsed and lower-cased (<see cref="ClipTextCleaner.Clean"/>).</summary>
    private static string Clean(string text) => ClipTextCleaner.Clean(text);

    private int[] Bpe(string token)
    {
        // CLIP seeds its BPE cache with the two special tokens, so a caption that spells one out gets its id.
        if (token is "<|startoftext|>" or "<|endoftext|>")
        {
            return [token == "<|startoftext|>" ? StartOfText : EndOfText];
        }

        if (cache.TryGetValue(token, out var hit))
        {
            return hit;
        }

        // Symbols are the token's characters, the last one marked end-of-word; merge the lowest-ranked pair until none applies.
        var symbols = token.Select(c => c.ToString()).ToList();
        symbols[^1] += "</w>";
        while (symbols.Count > 1)
        {
            var best = -1;
            var bestRank = int.MaxValue;
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                {
                    (best, bestRank) = (i, rank);
                }
            }

            if (best < 0)
            {
                break;
            }

            var (first, second) = (symbols[best], symbols[best + 1]);
            var merged = new List<string>(symbols.Count);
            for (var i = 0; i < symbols.Count; i++)
            {
                if (i < symbols.Count - 1 && symbols[i] == first && symbols[i + 1] == second)
                {
                    merged.Add(first + second);
                    i++;
                }
                else
                {
                    merged.Add(symbols[i]);
                }
            }

            symbols = merged;
        }

        var ids = symbols.Select(s => encoder[s]).ToArray();
        // Words are cached (captions repeat them); very long runs, which rarely repeat, are not, so the cache stays bounded by the vocabulary of real words.
        if (token.Length <= MaxCachedWord)
        {
            cache.TryAdd(token, ids);
        }

        return ids;
    }

    private static string[] BuildByteToUnicode()
    {
        var table = new string[256];
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            table[b] = PrintableBytes.Contains(b) ? ((char)b).ToString() : ((char)(256 + extra++)).ToString();
        }

        return table;
    }
}
