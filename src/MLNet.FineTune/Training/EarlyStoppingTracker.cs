namespace MLNet.FineTune.Training;

/// <summary>Tracks the best evaluation metric and how many evaluations passed without improving it.</summary>
internal sealed class EarlyStoppingTracker(TrainingOptions options)
{
    public double? Best { get; set; }
    public int? BestStep { get; set; }
    public int EvaluationsWithoutImprovement { get; set; }

    /// <summary>Records an evaluation; returns whether it is the new best.</summary>
    public bool Update(IReadOnlyDictionary<string, double> metrics, int step)
    {
        if (!metrics.TryGetValue(options.MetricForBestModel, out double value))
            throw new KeyNotFoundException(
                $"TrainingOptions.MetricForBestModel is '{options.MetricForBestModel}' but the evaluation returned [{string.Join(", ", metrics.Keys)}].");
        bool improved = Best is null || (options.MetricGreaterIsBetter
            ? value > Best.Value + options.EarlyStoppingThreshold
            : value < Best.Value - options.EarlyStoppingThreshold);
        if (improved)
        {
            Best = value;
            BestStep = step;
            EvaluationsWithoutImprovement = 0;
        }
        else
        {
            EvaluationsWithoutImprovement++;
        }
        return improved;
    }

    /// <summary>True once patience is exhausted (never when patience is 0).</summary>
    public bool ShouldStop => options.EarlyStoppingPatience > 0 && EvaluationsWithoutImprovement >= options.EarlyStoppingPatience;
}
