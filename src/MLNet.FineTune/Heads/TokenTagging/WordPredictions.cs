namespace MLNet.FineTune.Heads.TokenTagging;

/// <summary>The predicted label of every word of a sentence and its probability.</summary>
/// <param name="LabelIds">Predicted label id per word; -1 for a word that no token covers (cut off by truncation).</param>
/// <param name="Probabilities">Probability of the predicted label per word; 0 for uncovered words.</param>
internal sealed record WordPredictions(int[] LabelIds, float[] Probabilities);
