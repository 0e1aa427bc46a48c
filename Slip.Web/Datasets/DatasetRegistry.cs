using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Slip.Data;
using Slip.Training;
using Slip.Training.Datasets;
using Slip.Training.Datasets.Sources;
using Slip.Web.Hosting;

namespace Slip.Web.Datasets;

/// <summary>What a user submits to register a dataset.</summary>
/// <summary>
/// What a user submits to register a dataset: its source and, for a caption set without classes of its own, the
/// classification sets (image folders or Fashion-MNIST) its runs validate on (<c>val</c>, which sweeps select on) and
/// are tested on (<c>test</c>).
/// </summary>
public sealed record DatasetRegistration(string? Name, string? Description, DatasetSource? Source, DatasetSource? Val = null, DatasetSource? Test = null);

/// <summary>The registered dataset, or the problems with the registration (nothing was stored).</summary>
public sealed record RegistrationResult(RegisteredDataset? Dataset, IReadOnlyList<ConfigError> Errors);

/// <summary>
/// Datasets registered once by name (checked where the user is: inside the data roots, present, in their format,
/// first samples decodable) and then chosen by that name for runs.
/// </summary>
public sealed partial class DatasetRegistry(IDbContextFactory<SlipDbContext> dbFactory, IOptions<SlipOptions> options)
{
    public const int MaxNameLength = 100;
    public const int PreviewCount = 12;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte[]?[]> thumbnails = new();

    public DataRoots Roots => new(options.Value.DataRoots);

    public async Task<RegistrationResult> RegisterAsync(DatasetRegistration registration, CancellationToken ct = default)
    {
        var errors = new List<ConfigError>();
        var name = registration.Name?.Trim() ?? "";
        if (!Name().IsMatch(name) || name.Length > MaxNameLength)
        {
            errors.Add(new ConfigError("Name", $"Give the dataset a name of up to {MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit."));
        }
        else if (DatasetCatalog.Names.Contains(name))
        {
            errors.Add(new ConfigError("Name", $"'{name}' is a built-in dataset; choose another name."));
        }

        var source = registration.Source ?? new DatasetSource();
        if (!DatasetFormats.Names.Contains(source.Format))
        {
            errors.Add(new ConfigError("Format", $"Unknown format '{source.Format}'. Known: {string.Join(", ", DatasetFormats.Names)}."));
        }
        else if (string.IsNullOrWhiteSpace(source.Path))
        {
            errors.Add(new ConfigError("Path", "Give the dataset's location."));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (errors.Count == 0 && await db.Datasets.AnyAsync(d => d.Name == name, ct))
        {
            errors.Add(new ConfigError("Name", $"A dataset named '{name}' is already registered."));
        }

        DatasetSummary? summary = null;
        if (errors.Count == 0)
        {
            try
            {
                summary = DatasetProbe.Inspect(source, Roots, PreviewCount);
            }
            catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
            {
                errors.Add(new ConfigError(FieldOf(ex.Message, source), ex.Message));
            }
        }

        foreach (var (field, split) in new[] { ("Val", registration.Val), ("Test", registration.Test) })
        {
            if (split is null || errors.Count > 0)
            {
                continue;
            }

            if (split.Format is not (DatasetFormats.ImageFolder or DatasetFormats.FashionMnist))
            {
                errors.Add(new ConfigError(field, $"The {field.ToLowerInvariant()} split is a classification set: an {DatasetFormats.ImageFolder} or {DatasetFormats.FashionMnist}, not {split.Format}."));
                continue;
            }

            try
            {
                DatasetProbe.Inspect(split, Roots, previewCount: 2, countShards: false);
            }
            catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
            {
                errors.Add(new ConfigError(field, ex.Message));
            }
        }

        if (errors.Count > 0)
        {
            return new RegistrationResult(null, errors);
        }

        var dataset = new RegisteredDataset
        {
            Name = name,
            Format = source.Format,
            Location = source.Path,
            SourceJson = JsonSerializer.Serialize(source, RunConfig.JsonOptions),
            SampleCount = summary!.Count,
            PreviewJson = JsonSerializer.Serialize(summary.Preview, RunConfig.JsonOptions),
            Description = string.IsNullOrWhiteSpace(registration.Description) ? null : registration.Description.Trim(),
            ValJson = registration.Val is null ? null : JsonSerializer.Serialize(registration.Val, RunConfig.JsonOptions),
            TestJson = registration.Test is null ? null : JsonSerializer.Serialize(registration.Test, RunConfig.JsonOptions),
            CreatedAt = DateTime.UtcNow,
        };
        db.Datasets.Add(dataset);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return new RegistrationResult(null, [new ConfigError("Name", $"A dataset named '{name}' is already registered.")]);
        }

        return new RegistrationResult(dataset, []);
    }

    public async Task<IReadOnlyList<RegisteredDataset>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Datasets.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
    }

    public async Task<RegisteredDataset?> FindAsync(string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Datasets.AsNoTracking().SingleOrDefaultAsync(d => d.Name == name, ct);
    }

    /// <summary>The names a run may use: the built-in datasets, then the registered ones.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(CancellationToken ct = default) =>
        DatasetCatalog.Names.Concat((await ListAsync(ct)).Select(d => d.Name)).ToList();

    public static DatasetSource SourceOf(RegisteredDataset dataset) =>
        JsonSerializer.Deserialize<DatasetSource>(dataset.SourceJson, RunConfig.JsonOptions) ?? new DatasetSource();

    /// <summary>A registered dataset's validation (<paramref name="val"/>) or test classification set, or null.</summary>
    public static DatasetSource? EvalSetOf(RegisteredDataset dataset, bool val) =>
        (val ? dataset.ValJson : dataset.TestJson) is { } json ? JsonSerializer.Deserialize<DatasetSource>(json, RunConfig.JsonOptions) : null;

    /// <summary>
    /// <paramref name="config"/> on the registered dataset: its checked source, its sample count as the epoch (for
    /// shards without stats files, unless the config sets one), and its validation and test sets unless the config names others.
    /// </summary>
    public static RunConfig Apply(RegisteredDataset dataset, RunConfig config) => config with
    {
        Data = config.Data with { Source = SourceOf(dataset), EpochSamples = config.Data.EpochSamples ?? dataset.SampleCount },
        Eval = config.Eval with { Val = config.Eval.Val ?? EvalSetOf(dataset, val: true), Test = config.Eval.Test ?? EvalSetOf(dataset, val: false) },
    };

    public static IReadOnlyList<SamplePreview> PreviewOf(RegisteredDataset dataset) =>
        JsonSerializer.Deserialize<List<SamplePreview>>(dataset.PreviewJson, RunConfig.JsonOptions) ?? [];

    /// <summary>
    /// A PNG thumbnail of preview sample <paramref name="index"/>, or null. The first request reads the dataset again
    /// (still within the roots) and renders all its preview thumbnails in one pass; a registered dataset never
    /// changes, so they are kept for later requests.
    /// </summary>
    public byte[]? PreviewImage(RegisteredDataset dataset, int index)
    {
        if (index is < 0 or >= PreviewCount)
        {
            return null;
        }

        if (!thumbnails.TryGetValue(dataset.Id, out var images))
        {
            images = RenderThumbnails(dataset);
            if (images is null)
            {
                return null; // unreadable now (roots changed, files gone): try again next time
            }

            thumbnails[dataset.Id] = images;
        }

        return images.ElementAtOrDefault(index);
    }

    private byte[]?[]? RenderThumbnails(RegisteredDataset dataset, int maxSide = 256)
    {
        try
        {
            return DatasetProbe.PreviewSamples(SampleSources.Open(SourceOf(dataset), Roots), PreviewCount)
                .Select(sample => DatasetProbe.Decode(sample).Image is { } image ? ImageFiles.EncodePng(image, maxSide) : null)
                .ToArray();
        }
        catch (Exception ex) when (DatasetErrors.IsUserFacing(ex))
        {
            return null;
        }
    }

    /// <summary>Which form field a probe error belongs to: a missing column names its field, everything else is the location.</summary>
    private static string FieldOf(string message, DatasetSource source) =>
        message.Contains($"no column '{source.ImageColumn}'", StringComparison.Ordinal) ? "ImageColumn"
        : message.Contains($"no column '{source.CaptionColumn}'", StringComparison.Ordinal) ? "CaptionColumn"
        : "Path";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Name();
}
