namespace Slip.Data;

/// <summary>
/// A sweep: one base config run over a search of config keys and seeds (its runs carry <see cref="Run.SweepId"/>),
/// each arm's best config chosen on <see cref="SelectMetric"/>. The definition is kept as given, so the sweep can be
/// read, planned again or cloned exactly.
/// </summary>
public class Sweep
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The sweep as submitted (name, base, grid, seeds, arms, select, random), JSON.</summary>
    public string DefinitionJson { get; set; } = "{}";

    /// <summary>The metric as it is logged that the arms' best configs are chosen on, e.g. <c>val_zeroshot_acc1</c>.</summary>
    public string SelectMetric { get; set; } = "";

    /// <summary>Lower is better for <see cref="SelectMetric"/>.</summary>
    public bool Minimize { get; set; }

    /// <summary>How many runs the sweep planned (and queued).</summary>
    public int RunCount { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// Where a sweep trained elsewhere was pushed from (<c>host:folder</c> of <c>sweep run</c>); null for a sweep this
    /// dashboard queued. An imported sweep's runs are records: they cannot be cancelled or resumed here.
    /// </summary>
    public string? ImportedFrom { get; set; }
}
