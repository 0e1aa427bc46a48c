namespace Slip.Training.Sweeps;

/// <summary>A finished run's numbers: its selection metric on the validation split and its metrics on the test split.</summary>
public sealed record SweepRunScores(int RunIndex, double? Selection, IReadOnlyDictionary<string, double> Test);

/// <summary>A run's place in a sweep: its index in the plan, its arm and its combination of grid values.</summary>
public sealed record SweepSlot(int Index, string Arm, string Point);

/// <summary>One combination of an arm over its seeds (its runs' indices): the selection metric and each test metric as mean ± std.</summary>
public sealed record SweepPoint(string Arm, string Point, IReadOnlyList<int> Runs, int Scored, Stat Selection, IReadOnlyDictionary<string, Stat> Test)
{
    public int Seeds => Runs.Count;
}

/// <summary>An arm's best combination (null until one has a score for every seed) and all its combinations, best first.</summary>
public sealed record SweepArm(string Arm, SweepPoint? Best, IReadOnlyList<SweepPoint> Points);

/// <summary>
/// Picks each arm's best combination on the validation split and reports it on the test split: the fair comparison
/// (every arm searched over the same grid and seeds, selected the same way, reported on data it was not selected on).
/// Only combinations scored on every seed can be chosen, so a failed seed cannot flatter a config.
/// </summary>
public static class SweepSelector
{
    public static IReadOnlyList<SweepArm> Select(SweepPlan plan, SweepSelection selection, IReadOnlyList<SweepRunScores> scores) =>
        Select(plan.Runs.Select(r => new SweepSlot(r.Index, r.Arm, r.Point)), selection, scores);

    /// <summary>As above, for runs known by their place in the plan, arm and combination (a stored sweep's runs).</summary>
    public static IReadOnlyList<SweepArm> Select(IEnumerable<SweepSlot> runs, SweepSelection selection, IReadOnlyList<SweepRunScores> scores)
    {
        var byRun = scores.ToDictionary(s => s.RunIndex);
        return runs.GroupBy(r => r.Arm).Select(arm =>
        {
            var points = arm.GroupBy(r => r.Point).Select(point =>
            {
                var scored = point.Select(r => byRun.GetValueOrDefault(r.Index)).Where(s => s?.Selection is not null).Select(s => s!).ToList();
                var testKeys = scored.SelectMany(s => s.Test.Keys).Distinct().Order(StringComparer.Ordinal);
                return new SweepPoint(
                    arm.Key,
                    point.Key,
                    point.Select(r => r.Index).ToList(),
                    scored.Count,
                    Stat.Of(scored.Select(s => s.Selection)),
                    testKeys.ToDictionary(k => k, k => Stat.Of(scored.Select(s => s.Test.TryGetValue(k, out var v) ? v : (double?)null))));
            });
            var ordered = (selection.Minimize
                ? points.OrderBy(p => p.Selection.Mean ?? double.PositiveInfinity)
                : points.OrderByDescending(p => p.Selection.Mean ?? double.NegativeInfinity)).ToList();
            return new SweepArm(arm.Key, ordered.FirstOrDefault(p => p.Scored == p.Seeds && p.Seeds > 0), ordered);
        }).ToList();
    }
}
