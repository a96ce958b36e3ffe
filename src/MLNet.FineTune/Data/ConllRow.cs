namespace MLNet.FineTune.Data;

/// <summary>One sentence as an ML.NET row; <see cref="ConllDataView"/> keeps only the requested columns.</summary>
internal sealed class ConllRow
{
    /// <summary>Words joined by single spaces.</summary>
    public string Text { get; set; } = "";

    /// <summary>Tags joined by single spaces, one per word of <see cref="Text"/>.</summary>
    public string Tags { get; set; } = "";

    /// <summary>The words.</summary>
    public string[] Words { get; set; } = [];

    /// <summary>The tags, one per word.</summary>
    public string[] Labels { get; set; } = [];
}
