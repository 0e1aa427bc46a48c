using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Slip.Training;
using Slip.Training.Ssl;
using Slip.Web.Components.Shared;

namespace Slip.Web.Tests;

public sealed class RunFormTests
{
    private static readonly string[] Datasets = ["shapes", "shapes-mini"];

    private static async Task<(BunitContext Context, IRenderedComponent<RunForm> Form, List<RunFormSubmission> Submitted)> RenderAsync()
    {
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        await ctx.Render<MudPopoverProvider>().InvokeAsync(() => Task.CompletedTask);
        var submitted = new List<RunFormSubmission>();
        var form = ctx.Render<RunForm>(p => p
            .Add(f => f.Datasets, Datasets)
            .Add(f => f.OnSubmit, (RunFormSubmission s) => submitted.Add(s)));
        return (ctx, form, submitted);
    }

    private static void SetNumber(IRenderedComponent<RunForm> form, string testId, string value) =>
        form.Find($"input[data-testid={testId}]").Change(value);

    [Fact]
    public async Task ZeroEpochsIsRefusedInlineAndNothingIsSubmitted()
    {
        var (ctx, form, submitted) = await RenderAsync();
        await using var _ = ctx;
        SetNumber(form, "epochs", "0");
        form.Find("button[data-testid=launch]").Click();

        Assert.Contains("Epochs must be between 1 and 10000.", form.Markup);
        Assert.Contains("nothing was queued", form.Markup);
        Assert.Empty(submitted);
    }

    [Fact]
    public async Task WidthNotDivisibleByHeadsIsShownOnTheHeadsField()
    {
        var (ctx, form, submitted) = await RenderAsync();
        await using var _ = ctx;
        SetNumber(form, "vision-width", "100");
        SetNumber(form, "vision-heads", "3");
        form.Find("button[data-testid=launch]").Click();

        Assert.Contains("Vision width 100 is not divisible by 3 heads.", form.Markup);
        Assert.Empty(submitted);
    }

    [Fact]
    public async Task ImageSizeNotDivisibleByPatchIsRefused()
    {
        var (ctx, form, submitted) = await RenderAsync();
        await using var _ = ctx;
        SetNumber(form, "image-size", "30");
        form.Find("button[data-testid=launch]").Click();

        // Validation renders asynchronously; under load (a full suite on 2 cores) the markup can lag the click.
        form.WaitForAssertion(() => Assert.Contains("Image size 30 is not divisible by patch size 4.", form.Markup));
        Assert.Empty(submitted);
    }

    [Fact]
    public async Task ValidValuesAreSubmittedAsARunConfig()
    {
        var (ctx, form, submitted) = await RenderAsync();
        await using var _ = ctx;
        form.Find("input[data-testid=name]").Change("my ablation");
        SetNumber(form, "epochs", "3");
        SetNumber(form, "batch-size", "16");
        SetNumber(form, "seed", "7");
        SetNumber(form, "ssl-scale", "0.5");
        form.Find("button[data-testid=launch]").Click();

        var submission = Assert.Single(submitted);
        Assert.Equal("my ablation", submission.Name);
        Assert.Equal((3, 16, 7, 0.5, Objective.Slip, "Tiny"), (submission.Config.Optim.Epochs, submission.Config.Optim.BatchSize, submission.Config.Seed, submission.Config.Ssl.Scale, submission.Config.Objective, submission.Config.Model));
        Assert.Empty(submission.Config.Validate(Datasets));
    }

    [Fact]
    public async Task RecipeFieldsAreValidatedAndSubmitted()
    {
        var (ctx, form, submitted) = await RenderAsync();
        await using var _ = ctx;
        SetNumber(form, "grad-clip", "-1");
        SetNumber(form, "update-freq", "0");
        form.Find("button[data-testid=launch]").Click();
        Assert.Contains("The gradient clipping norm must be positive", form.Markup);
        Assert.Contains("Gradient accumulation (micro-batches per step) must be between 1 and 1024.", form.Markup);
        Assert.Empty(submitted);

        SetNumber(form, "grad-clip", "1.5");
        SetNumber(form, "update-freq", "4");
        form.Find("button[data-testid=launch]").Click();
        var config = Assert.Single(submitted).Config;
        Assert.Equal((4, 1.5), (config.Optim.UpdateFreq, config.Optim.GradClipNorm!.Value));
    }

    [Fact]
    public void ChoosingClipBpeGivesTheModelCLIPsVocabulary()
    {
        var model = new RunFormModel();
        model.Set("text.tokenizer", Tokenizer.ClipBpe);
        Assert.Equal(49408, model.Config.Text.VocabSize);
        Assert.Null(model.Config.Optim.GradClipNorm);
        Assert.Empty(model.Config.Validate(Datasets));
        model.Set("text.tokenizer", Tokenizer.Byte);
        Assert.Equal(259, model.Config.Text.VocabSize);
    }

    [Fact]
    public async Task FixingAFieldClearsItsError()
    {
        var (ctx, form, submitted) = await RenderAsync();
        await using var _ = ctx;
        SetNumber(form, "epochs", "0");
        Assert.Contains("Epochs must be between", form.Markup);
        SetNumber(form, "epochs", "2");
        Assert.DoesNotContain("Epochs must be between", form.Markup);
        form.Find("button[data-testid=launch]").Click();
        Assert.Single(submitted);
    }

    [Fact]
    public async Task ServerErrorsAreShownNextToTheirFields()
    {
        await using var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        var form = ctx.Render<RunForm>(p => p
            .Add(f => f.Datasets, Datasets)
            .Add(f => f.ServerErrors, [new ConfigError("data.dataset", "Unknown dataset 'x'.")]));
        Assert.Contains("Unknown dataset 'x'.", form.Markup);
    }

    [Fact]
    public void ChoosingAnSslMethodBringsItsDefaultsAndReachesTheConfig()
    {
        var model = new RunFormModel();
        model.Set("ssl.method", SslMethod.MocoV3);
        Assert.Equal((SslMethod.MocoV3, 0.2, 0.99, "SLIP (MoCo v3)"), (model.Config.Ssl.Method, model.Config.Ssl.Temperature, model.Config.Ssl.Momentum, model.Config.ObjectiveLabel));

        // Whatever was chosen before, a method's defaults are those of the cascade: the form means what {"ssl": {"method": "byol"}} means.
        model.Set("ssl.method", SslMethod.Byol);
        Assert.Equal(RunConfig.FromJson("""{"ssl": {"method": "byol"}}"""), model.Config);
        model.Set("objective", Objective.Clip);
        Assert.Equal(SslMethod.SimClr, model.Config.Ssl.Method);
        Assert.Empty(model.Config.Validate(Datasets));
    }

    [Fact]
    public void KnobsTheObjectiveDoesNotReadAreKeptForSwitchingBack()
    {
        var model = new RunFormModel();
        model.Set("text.tokenizer", Tokenizer.ClipBpe);
        model.Set("ssl.scale", 2.0);
        model.Set("objective", Objective.SimClr);
        Assert.False(model.Applies("ssl.scale"));
        model.Set("objective", Objective.Slip);
        Assert.Equal((Tokenizer.ClipBpe, 2.0), (model.Config.Text.Tokenizer, model.Config.Ssl.Scale));
    }

    [Fact]
    public async Task SslFieldsAreValidatedAndOnlyTheMethodsOwnAreEnabled()
    {
        var (ctx, form, submitted) = await RenderAsync();
        await using var _ = ctx;
        Assert.True(form.Find("input[data-testid=mask-ratio]").HasAttribute("disabled"));
        Assert.True(form.Find("input[data-testid=ssl-momentum]").HasAttribute("disabled"));
        Assert.False(form.Find("input[data-testid=ssl-temperature]").HasAttribute("disabled"));
        SetNumber(form, "ssl-temperature", "0");
        SetNumber(form, "zero-shot-every", "-1");
        form.Find("button[data-testid=launch]").Click();
        Assert.Contains("SSL temperature must be positive.", form.Markup);
        Assert.Contains("Zero-shot evaluation interval cannot be negative", form.Markup);
        Assert.Empty(submitted);

        SetNumber(form, "ssl-temperature", "0.2");
        SetNumber(form, "zero-shot-every", "2");
        SetNumber(form, "keep-last", "3");
        SetNumber(form, "keep-every", "5");

        // MudBlazor applies a changed value asynchronously: on a busy machine the first click can still see the old one.
        form.WaitForAssertion(() =>
        {
            if (submitted.Count == 0)
            {
                form.Find("button[data-testid=launch]").Click();
            }

            Assert.NotEmpty(submitted);
        }, TimeSpan.FromSeconds(10));
        var config = Assert.Single(submitted).Config;
        Assert.Equal((2, 3, 5), (config.Eval.ZeroShotEvery, config.Checkpoints.KeepLast, config.Checkpoints.KeepEvery));
    }
}
