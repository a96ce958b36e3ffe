namespace MLNet.FineTune.Persistence;

/// <summary>
/// A model file's MLNet.FineTune payload cannot be read: truncated or corrupted data, an unknown newer format
/// version, an unsafe entry name, or a transformer type that is not declared loadable. The message names the
/// model entry and what was expected versus found.
/// </summary>
public sealed class ModelPayloadException : IOException
{
    /// <summary>Creates the exception with a specific message.</summary>
    public ModelPayloadException(string message) : base(message) { }

    /// <summary>Creates the exception with a specific message and the low-level cause.</summary>
    public ModelPayloadException(string message, Exception inner) : base(message, inner) { }
}
