namespace MLNet.FineTune.Evaluation;

/// <summary>Precision, recall and F1 averaged over entity types (micro, macro or weighted), and the total support.</summary>
public sealed record AverageScore(double Precision, double Recall, double F1, int Support);
