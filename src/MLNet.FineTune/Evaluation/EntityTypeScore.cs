namespace MLNet.FineTune.Evaluation;

/// <summary>Entity-level scores of one entity type.</summary>
/// <param name="Type">Entity type, e.g. <c>PER</c>.</param>
/// <param name="Precision">Correct / predicted entities of this type.</param>
/// <param name="Recall">Correct / true entities of this type.</param>
/// <param name="F1">Harmonic mean of precision and recall.</param>
/// <param name="Support">Number of true entities of this type.</param>
/// <param name="Predicted">Number of predicted entities of this type.</param>
/// <param name="Correct">Predicted entities whose type, sentence and boundaries all match a true entity.</param>
public sealed record EntityTypeScore(string Type, double Precision, double Recall, double F1, int Support, int Predicted, int Correct);
