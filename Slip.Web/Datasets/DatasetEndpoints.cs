using Slip.Web.Api;

namespace Slip.Web.Datasets;

/// <summary>The datasets API: list, register and inspect registered datasets, and their preview images.</summary>
public static class DatasetEndpoints
{
    public static RouteGroupBuilder MapDatasetApi(this RouteGroupBuilder api)
    {
        api.MapGet("/datasets", ListDatasetsAsync).Succeeds<IReadOnlyList<DatasetAnswer>>("The registered datasets.");
        api.MapPost("/datasets", RegisterDatasetAsync).ForOperators().Succeeds<DatasetAnswer>("Registers a dataset under a configured data root (image folder, manifest, WebDataset shards, COCO or Flickr captions).", StatusCodes.Status201Created).AnswersInvalid();
        api.MapGet("/datasets/{name}", GetDatasetAsync).Succeeds<DatasetAnswer>("A registered dataset: its format, counts and preview samples.").Answers(404);
        api.MapGet("/datasets/{name}/preview/{index:int}.png", PreviewImageAsync).Succeeds("One preview sample's image.", contentType: "image/png").Answers(404);
        return api;
    }

    private static async Task<IResult> ListDatasetsAsync(DatasetRegistry registry, CancellationToken ct) =>
        Results.Ok((await registry.ListAsync(ct)).Select(DatasetAnswer.Of).ToList());

    private static async Task<IResult> RegisterDatasetAsync(DatasetRegistration? registration, DatasetRegistry registry, CancellationToken ct)
    {
        var result = await registry.RegisterAsync(registration ?? new DatasetRegistration(null, null, null), ct);
        return result.Dataset is { } dataset
            ? Results.Created($"/api/datasets/{Uri.EscapeDataString(dataset.Name)}", DatasetAnswer.Of(dataset))
            : ApiResults.Invalid(result.Errors);
    }

    private static async Task<IResult> GetDatasetAsync(string name, DatasetRegistry registry, CancellationToken ct) =>
        await registry.FindAsync(name, ct) is { } dataset ? Results.Ok(DatasetAnswer.Of(dataset)) : ApiResults.NotFound($"No dataset named '{name}' is registered.");

    private static async Task<IResult> PreviewImageAsync(string name, int index, DatasetRegistry registry, CancellationToken ct)
    {
        if (await registry.FindAsync(name, ct) is not { } dataset)
        {
            return ApiResults.NotFound($"No dataset named '{name}' is registered.");
        }

        return registry.PreviewImage(dataset, index) is { } png
            ? Results.File(png, "image/png")
            : ApiResults.NotFound($"Preview sample {index} of '{name}' has no image (or the dataset is no longer readable).");
    }

}
