using System.Reflection;

namespace MLNet.FineTune.Heads;

/// <summary>What is saved of a fitted head besides its weights (JSON in the model zip; the field names are the format).</summary>
public sealed record HeadDescription(string Kind, string Name, string LabelColumnName, IReadOnlyList<string> LabelNames, string LabelKind, double LabelSmoothing = 0, float[]? ClassWeights = null,
    bool LabelAllSubwords = false, double LossWeight = 1, IReadOnlyDictionary<string, float>? TagWeights = null)
{
    /// <summary>Token-classification heads: what is done with tags that break the scheme (saved so a loaded model keeps it). Default Repair.</summary>
    public TokenTagging.InvalidTagHandling InvalidTags { get; init; } = TokenTagging.InvalidTagHandling.Repair;

    /// <summary>The fitted head again, through the kind's registered loader (<see cref="HeadKindAttribute"/>).</summary>
    internal IFittedHead Restore() => HeadKinds.Restore(this);
}

/// <summary>Every fitted head kind this assembly declares, found by <see cref="HeadKindAttribute"/>.</summary>
internal static class HeadKinds
{
    static readonly Lazy<Dictionary<string, Func<HeadDescription, IFittedHead>>> loaders = new(() =>
    {
        var found = new Dictionary<string, Func<HeadDescription, IFittedHead>>(StringComparer.Ordinal);
        var restore = typeof(HeadKinds).GetMethod(nameof(RestoreAs), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var type in typeof(HeadKinds).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<HeadKindAttribute>() is not { } kind) continue;
            if (!type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRestorableHead<>)))
                throw new InvalidOperationException($"{type.Name} is marked [HeadKind(\"{kind.Kind}\")] but does not implement IRestorableHead<{type.Name}>.");
            found.Add(kind.Kind, restore.MakeGenericMethod(type).CreateDelegate<Func<HeadDescription, IFittedHead>>());
        }
        return found;
    });

    static IFittedHead RestoreAs<T>(HeadDescription description) where T : IFittedHead, IRestorableHead<T> => T.Restore(description);

    public static IReadOnlyCollection<string> Known => loaders.Value.Keys;

    public static IFittedHead Restore(HeadDescription description) => loaders.Value.TryGetValue(description.Kind, out var load)
        ? load(description)
        : throw new InvalidDataException($"Unknown head kind '{description.Kind}' in the saved model (this library knows: {string.Join(", ", loaders.Value.Keys.Order())}).");
}
