using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Data;

namespace MLNet.FineTune.Cli.DataFiles;

/// <summary>The file layouts the tool reads.</summary>
internal enum DataFileFormat { Jsonl, Csv, Tsv, Conll }

internal static class DataFileFormats
{
    /// <summary>The <c>--format</c> values, in help order.</summary>
    public const string Choices = "auto, jsonl, csv, tsv, conll";

    /// <summary>The format from <c>--format</c> (<c>auto</c> or null: by the file's extension; stdin is JSONL).</summary>
    public static DataFileFormat Resolve(string? format, string path)
    {
        switch (format?.ToLowerInvariant())
        {
            case null or "" or "auto": break;
            case "jsonl" or "json": return DataFileFormat.Jsonl;
            case "csv": return DataFileFormat.Csv;
            case "tsv": return DataFileFormat.Tsv;
            case "conll": return DataFileFormat.Conll;
            default: throw new UserError($"--format {format} is not a known format; use one of {Choices}.");
        }
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => DataFileFormat.Csv,
            ".tsv" or ".tab" => DataFileFormat.Tsv,
            ".conll" or ".conllu" or ".iob" or ".bio" or ".txt" => DataFileFormat.Conll,
            ".jsonl" or ".json" or ".ndjson" or "" => DataFileFormat.Jsonl,
            var other => throw new UserError($"{Path.GetFileName(path)}: cannot tell the format from the extension '{other}'; give --format ({Choices}).")
        };
    }
}

/// <summary>
/// Which columns/keys hold what, and how strictly to read (from the command's options). A CSV/TSV header or JSONL line
/// with a <see cref="TextPair"/> column is read as a pair; <see cref="RequirePair"/> makes the column mandatory.
/// </summary>
internal sealed record DataColumns(string Text = "text", string TextPair = "text_pair", string Label = "label", bool RequireLabels = true, bool RequirePair = false)
{
    public JsonlReaderOptions JsonlOptions(int maxLineBytes) => new()
    {
        TextField = Text, TextPairField = TextPair, LabelField = Label, RequireLabels = RequireLabels, MaxLineBytes = maxLineBytes,
    };
}
