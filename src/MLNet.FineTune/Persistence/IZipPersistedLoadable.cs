using Microsoft.ML.Runtime;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// The load half of a <see cref="ZipPersistedTransformer"/>: rebuilds the transformer from its verified payload.
/// A static abstract member, so a subclass that forgets it does not compile.
/// </summary>
/// <typeparam name="TSelf">The transformer type itself.</typeparam>
internal interface IZipPersistedLoadable<TSelf> where TSelf : ZipPersistedTransformer, IZipPersistedLoadable<TSelf>
{
    /// <summary>
    /// Rebuilds the transformer. <paramref name="payload"/> is already checked (every entry present, lengths and
    /// SHA-256 match, <see cref="ZipPayloadReader.PayloadVersion"/> within the declared range) and is valid only
    /// during this call: copy what you need.
    /// </summary>
    static abstract TSelf Load(IHostEnvironment env, ZipPayloadReader payload);
}
