using System.Globalization;

namespace MLNet.FineTune.Peft;

/// <summary>
/// Trainable vs all parameter counts, printed as PEFT's print_trainable_parameters. "All" counts what PEFT's model
/// holds: with LoRA or prompt tuning, a modules_to_save head exists twice there (the frozen original and the trained
/// copy), so it is counted twice here too, which makes the numbers comparable with PEFT's.
/// </summary>
internal sealed record TrainableParameterReport(long Trainable, long All)
{
    /// <summary>100 · trainable / all.</summary>
    public double Percent => All == 0 ? 0 : 100.0 * Trainable / All;

    /// <summary><c>trainable params: 1,024 || all params: 994,538 || trainable%: 0.1030</c></summary>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture,
        "trainable params: {0:N0} || all params: {1:N0} || trainable%: {2:F4}", Trainable, All, Percent);
}
