using System.ComponentModel;
using Spectre.Console.Cli;

namespace MLNet.FineTune.Cli.DataFiles;

/// <summary>The options of every command that reads a data file: its layout and which columns (JSONL keys) hold what.</summary>
internal class DataFileSettings : CommonSettings
{
    [CommandOption("--format <format>")]
    [Description("auto (by extension: .jsonl, .csv, .tsv, .conll/.txt; stdin is JSONL), jsonl, csv, tsv or conll.")]
    [DefaultValue("auto")]
    public string Format { get; init; } = "auto";

    [CommandOption("--text-column <name>")]
    [Description("CSV/TSV column (JSONL key) of the text.")]
    [DefaultValue("text")]
    public string TextColumn { get; init; } = "text";

    [CommandOption("--text-pair-column <name>")]
    [Description("CSV/TSV column (JSONL key, default text_pair) of the second text, for sentence pairs.")]
    public string? TextPairColumn { get; init; }

    [CommandOption("--label-column <name>")]
    [Description("CSV/TSV column (JSONL key) of the label.")]
    [DefaultValue("label")]
    public string LabelColumn { get; init; } = "label";

    /// <summary>The columns as the readers take them.</summary>
    public DataColumns Columns(bool requireLabels, bool pairs = false) =>
        new(TextColumn, TextPairColumn ?? "text_pair", LabelColumn, requireLabels, RequirePair: pairs || TextPairColumn is not null);
}
