using System.Globalization;
using System.Text;

namespace MLNet.FineTune.Evaluation;

/// <summary>seqeval's classification report: per-type scores, the three averages and token accuracy.</summary>
/// <param name="PerType">Scores per entity type, sorted by type name (ordinal, as Python's <c>sorted</c>).</param>
/// <param name="Micro">Scores from the summed counts over all types (seqeval's default <c>average='micro'</c>).</param>
/// <param name="Macro">Unweighted mean of the per-type scores; NaN when there are no entities at all (as numpy).</param>
/// <param name="Weighted">Mean of the per-type scores weighted by support.</param>
/// <param name="Accuracy">Fraction of tokens whose predicted tag equals the true tag (seqeval's <c>accuracy_score</c>).</param>
public sealed record SeqevalReport(IReadOnlyList<EntityTypeScore> PerType, AverageScore Micro, AverageScore Macro,
    AverageScore Weighted, double Accuracy)
{
    /// <summary>The report laid out like seqeval's <c>classification_report(digits=digits)</c>.</summary>
    public string Format(int digits = 2)
    {
        int width = Math.Max(PerType.Count == 0 ? 0 : PerType.Max(s => s.Type.Length), Math.Max("weighted avg".Length, digits));
        var sb = new StringBuilder();
        sb.Append(' ', width).Append(' ');
        foreach (var header in new[] { "precision", "recall", "f1-score", "support" }) sb.Append(' ').Append(header.PadLeft(9));
        sb.Append("\n\n");
        foreach (var s in PerType) Row(sb, width, digits, s.Type, s.Precision, s.Recall, s.F1, s.Support);
        sb.Append('\n');
        Row(sb, width, digits, "micro avg", Micro.Precision, Micro.Recall, Micro.F1, Micro.Support);
        Row(sb, width, digits, "macro avg", Macro.Precision, Macro.Recall, Macro.F1, Macro.Support);
        Row(sb, width, digits, "weighted avg", Weighted.Precision, Weighted.Recall, Weighted.F1, Weighted.Support);
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Format();

    static void Row(StringBuilder sb, int width, int digits, string name, double p, double r, double f, int support)
    {
        sb.Append(name.PadLeft(width)).Append(' ');
        foreach (var v in new[] { p, r, f }) sb.Append(' ').Append(v.ToString("F" + digits, CultureInfo.InvariantCulture).PadLeft(9));
        sb.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }
}
