using Hangfire.Common;
using Hangfire.Storage;
using Slip.Web.Evaluations;
using Slip.Web.Hosting;
using Slip.Web.Runs;

namespace Slip.Web.Tests;

public sealed class MovedJobTypesTests
{
    [Fact]
    public void JobsQueuedBeforeTheJobTypesMovedStillResolve()
    {
        // As an earlier version stored them (UseSimpleAssemblyNameTypeSerializer: type name and assembly name).
        Assert.Equal(typeof(TrainingJob), MovedJobTypes.Resolve("Slip.Web.Jobs.TrainingJob, Slip.Web"));
        Assert.Equal(typeof(EvaluationJob), MovedJobTypes.Resolve("Slip.Web.Jobs.EvaluationJob, Slip.Web"));
        Assert.Equal(typeof(TrainingJob), MovedJobTypes.Resolve(TypeHelper.CurrentTypeSerializer(typeof(TrainingJob))));
        Assert.Equal(typeof(string), MovedJobTypes.Resolve("System.String, mscorlib"));
    }

    [Fact]
    public void AStoredTrainingJobOfTheEarlierVersionDeserialisesToTheJobItCalls()
    {
        var stored = new InvocationData("Slip.Web.Jobs.TrainingJob, Slip.Web", "RunAsync",
            """["System.Int64","Hangfire.Server.PerformContext, Hangfire.Core","System.Threading.CancellationToken"]""", """["7",null,null]""");
        var previous = TypeHelper.CurrentTypeResolver;
        TypeHelper.CurrentTypeResolver = MovedJobTypes.Resolve;
        try
        {
            var job = stored.DeserializeJob();
            Assert.Equal(typeof(TrainingJob), job.Type);
            Assert.Equal(nameof(TrainingJob.RunAsync), job.Method.Name);
            Assert.Equal(7L, job.Args[0]);
        }
        finally
        {
            TypeHelper.CurrentTypeResolver = previous;
        }
    }
}
