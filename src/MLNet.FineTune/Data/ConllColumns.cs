namespace MLNet.FineTune.Data;

/// <summary>Which columns <see cref="ConllDataView.ToDataView"/> produces.</summary>
[Flags]
public enum ConllColumns
{
    /// <summary><c>Text</c>: the words joined by single spaces.</summary>
    Text = 1,

    /// <summary><c>Tags</c>: the tags joined by single spaces.</summary>
    Tags = 2,

    /// <summary><c>Words</c>: the words as a variable-length text vector.</summary>
    Words = 4,

    /// <summary><c>Labels</c>: the tags as a variable-length text vector.</summary>
    Labels = 8,

    /// <summary><c>Text</c> and <c>Tags</c>: the string form a text-based NER pipeline reads.</summary>
    TextAndTags = Text | Tags,

    /// <summary><c>Words</c> and <c>Labels</c>: the vector form.</summary>
    WordsAndLabels = Words | Labels,

    /// <summary>All four columns.</summary>
    All = TextAndTags | WordsAndLabels,
}
