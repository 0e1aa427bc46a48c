using Slip.Data;
using Slip.Training.Datasets.Sources;

namespace Slip.Web.Datasets;

/// <summary>A registered dataset: where it is, how it is read, its evaluation splits and its preview samples.</summary>
public sealed record DatasetAnswer(
    long Id, string Name, string Format, string Location, long? SampleCount, string? Description, DateTime CreatedAt,
    DatasetSource Source, DatasetSource? Val, DatasetSource? Test, IReadOnlyList<SamplePreview> Preview)
{
    public static DatasetAnswer Of(RegisteredDataset d) => new(
        d.Id, d.Name, d.Format, d.Location, d.SampleCount, d.Description, d.CreatedAt,
        DatasetRegistry.SourceOf(d), DatasetRegistry.EvalSetOf(d, val: true), DatasetRegistry.EvalSetOf(d, val: false), DatasetRegistry.PreviewOf(d));
}
