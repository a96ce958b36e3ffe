using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNet.FineTune.Cli.Training;

/// <summary>How the tool's <c>--json</c> documents are written (indented; NaN written as a string rather than failing).</summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
