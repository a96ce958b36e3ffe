namespace MLNet.FineTune.Samples;

/// <summary>One labelled review.</summary>
public sealed class SentimentRow
{
    public string Text { get; set; } = "";
    public bool Label { get; set; }
}

/// <summary>
/// A small English sentiment data set that MLNet.FineTune writes itself (nothing is downloaded): reviews built from
/// templates, opinion words, intensifiers, negation ("not good" is negative) and neutral filler, so that word order
/// matters and a bag of words is not quite enough. Deterministic for a given seed. Used by the README quick start,
/// tests and benchmarks.
/// </summary>
public static class SyntheticSentiment
{
    static readonly string[] Positive = { "good", "great", "excellent", "wonderful", "delightful", "moving", "brilliant", "charming", "funny", "beautiful", "clever", "enjoyable" };
    static readonly string[] Negative = { "bad", "awful", "terrible", "boring", "dull", "weak", "clumsy", "tedious", "painful", "bland", "messy", "forgettable" };
    static readonly string[] Subjects = { "the movie", "this film", "the plot", "the acting", "the soundtrack", "the script", "the ending", "the cast", "the director's work", "the story" };
    static readonly string[] Intensifiers = { "", "really ", "very ", "truly ", "quite ", "surprisingly " };
    static readonly string[] Fillers = { "", " overall", " to be honest", " in my opinion", " from start to finish", " for the most part" };
    static readonly string[] Closers = { "", " I would watch it again.", " I left early.", " Bring popcorn.", " My friends agreed." };

    public static List<SentimentRow> Generate(int count, int seed = 1)
    {
        var random = new Random(seed);
        var rows = new List<SentimentRow>(count);
        for (int i = 0; i < count; i++)
        {
            bool positive = random.Next(2) == 1;
            bool negated = random.NextDouble() < 0.3;
            // A negated opinion flips polarity: "not good" is negative, "not bad" is (mildly) positive.
            bool wordIsPositive = negated ? !positive : positive;
            var word = Pick(random, wordIsPositive ? Positive : Negative);
            var subject = Pick(random, Subjects);
            var opinion = (negated ? "not " : Pick(random, Intensifiers)) + word;
            var text = random.Next(3) switch
            {
                0 => $"{Capital(subject)} was {opinion}{Pick(random, Fillers)}.",
                1 => $"I thought {subject} was {opinion}{Pick(random, Fillers)}.",
                _ => $"Honestly, {subject} felt {opinion}.",
            } + Closers[random.Next(Closers.Length)];
            rows.Add(new SentimentRow { Text = text, Label = positive });
        }
        return rows;
    }

    static string Pick(Random r, string[] items) => items[r.Next(items.Length)];
    static string Capital(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
