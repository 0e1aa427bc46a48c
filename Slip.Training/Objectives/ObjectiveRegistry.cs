namespace Slip.Training.Objectives;

/// <summary>Finds the <see cref="ObjectiveSpec"/> of an objective.</summary>
public static class ObjectiveRegistry
{
    public static ObjectiveSpec Of(Objective objective) => Implementations<Objective, ObjectiveSpec>.Of(objective);

    /// <summary>The spec of a config's objective.</summary>
    public static ObjectiveSpec Of(RunConfig config) => Of(config.Objective);

    /// <summary>Every objective, in declaration order.</summary>
    public static IReadOnlyList<ObjectiveSpec> All => Implementations<Objective, ObjectiveSpec>.All;
}
