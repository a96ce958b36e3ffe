namespace MLNet.FineTune.Data;

/// <summary>Layout of a CoNLL-style file for <see cref="ConllReader"/>. Presets cover CoNLL-2003, WNUT-17 and WikiANN.</summary>
public sealed class ConllReaderOptions
{
    /// <summary>0-based column holding the word. Default: 0.</summary>
    public int TokenColumn { get; init; }

    /// <summary>0-based column holding the tag; negative counts from the end (-1 = last column). Default: -1.</summary>
    public int TagColumn { get; init; } = -1;

    /// <summary>
    /// Column separator; null splits on runs of spaces and tabs (CoNLL-2003). Use '\t' for files whose tokens may
    /// contain spaces (WNUT-17, WikiANN). Default: null.
    /// </summary>
    public char? Separator { get; init; }

    /// <summary>Token that marks a document-start line (skipped, ends the sentence); null disables. Default: <c>-DOCSTART-</c>.</summary>
    public string? DocumentStartToken { get; init; } = "-DOCSTART-";

    /// <summary>Prefix removed from the start of every word when present, e.g. WikiANN's <c>en:</c>; null keeps words as they are.</summary>
    public string? LanguagePrefix { get; init; }

    /// <summary>CoNLL-2003: <c>token POS chunk NER</c>, space-separated, tag in column 3.</summary>
    public static ConllReaderOptions Conll2003 => new() { TagColumn = 3 };

    /// <summary>Two tab-separated columns <c>token&lt;TAB&gt;tag</c> (WNUT-17).</summary>
    public static ConllReaderOptions TabSeparated => new() { Separator = '\t', TagColumn = 1 };

    /// <summary>WikiANN (Rahimi et al. split): <c>en:token&lt;TAB&gt;tag</c> with the language prefix stripped.</summary>
    public static ConllReaderOptions WikiAnn(string language = "en") =>
        new() { Separator = '\t', TagColumn = 1, LanguagePrefix = language + ":" };

    /// <summary>Fewest columns a row must have for both the token and the tag column to exist.</summary>
    internal int RequiredColumns => Math.Max(TokenColumn + 1, TagColumn >= 0 ? TagColumn + 1 : Math.Max(-TagColumn, 2));
}
