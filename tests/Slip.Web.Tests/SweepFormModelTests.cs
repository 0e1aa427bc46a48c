using System.Text.Json.Nodes;
using Slip.Web.Sweeps;

namespace Slip.Web.Tests;

/// <summary>The sweep form's own fields: grid values as typed, seeds, and the sweep they make.</summary>
public sealed class SweepFormModelTests
{
    [Fact]
    public void GridValuesAreReadAsJsonWhereTheyAreJsonAndAsTextElsewhere()
    {
        Assert.Equal(["5e-4", "3e-3"], SweepFormModel.Split(" 5e-4 ,3e-3, "));
        Assert.Equal(["\"a, b\"", "c"], SweepFormModel.Split("\"a, b\", c"));
        Assert.Equal(0.0005, SweepFormModel.Value("5e-4")!.GetValue<double>());
        Assert.Equal("clip", SweepFormModel.Value("clip")!.GetValue<string>());
        Assert.Equal("a, b", SweepFormModel.Value("\"a, b\"")!.GetValue<string>());
        Assert.True(SweepFormModel.Value("true")!.GetValue<bool>());
    }

    [Fact]
    public void TheFormBuildsTheSweepItShowsOrNamesWhatStopsIt()
    {
        var form = new SweepFormModel { Name = " lr ", Seeds = "0, 1, 2" };
        Assert.Equal(12, form.PlannedRuns);                    // 2 objectives x 2 rates x 3 seeds
        form.RandomBudget = 3;
        Assert.Equal(9, form.PlannedRuns);

        var sweep = form.Build(new JsonObject { ["model"] = "Micro" });

        Assert.NotNull(sweep);
        Assert.Equal("lr", sweep.Name);
        Assert.Equal([0, 1, 2], sweep.Seeds);
        Assert.Equal(["clip", "slip"], sweep.Grid["objective"].Select(v => v!.GetValue<string>()));
        Assert.Equal(3, sweep.Random!.Budget);
        Assert.Equal("Micro", sweep.Base["model"]!.GetValue<string>());

        form.Seeds = "0, one";
        form.Grid.Add(new GridRow { Values = "1, 2" });
        Assert.Null(form.Build([]));
        Assert.Equal("'one' is not a whole number: give the seeds as 0, 1, 2.", form.ErrorOf("seeds"));
        Assert.Equal("Name the config key for the values '1, 2'.", form.ErrorOf("grid"));
    }
}
