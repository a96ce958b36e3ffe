namespace MLNet.FineTune.Data;

/// <summary>A malformed row in a CoNLL-style file; the message reads "file.txt line 123: ...".</summary>
public sealed class ConllFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at a source line.</summary>
    public ConllFormatException(string sourceName, int lineNumber, string problem)
        : base($"{sourceName} line {lineNumber}: {problem}")
    {
        SourceName = sourceName;
        LineNumber = lineNumber;
        Problem = problem;
    }

    /// <summary>File name (or other source name) of the bad row.</summary>
    public string SourceName { get; }

    /// <summary>1-based line number of the bad row.</summary>
    public int LineNumber { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
