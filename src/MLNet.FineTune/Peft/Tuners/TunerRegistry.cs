using System.Reflection;

namespace MLNet.FineTune.Peft.Tuners;

/// <summary>Finds the tuner class for a <see cref="PeftMethod"/> by its <see cref="TunerAttribute"/>: no switch to edit when a method is added.</summary>
internal static class TunerRegistry
{
    static readonly Lazy<Dictionary<PeftMethod, ConstructorInfo>> tuners = new(() =>
    {
        var found = new Dictionary<PeftMethod, ConstructorInfo>();
        foreach (var type in typeof(TunerRegistry).Assembly.GetTypes().Where(t => typeof(ITuner).IsAssignableFrom(t) && !t.IsAbstract))
            foreach (var attribute in type.GetCustomAttributes<TunerAttribute>())
            {
                var constructor = type.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(TunerContext)])
                    ?? throw new InvalidOperationException($"Tuner {type.Name} needs a constructor taking a TunerContext.");
                if (!found.TryAdd(attribute.Method, constructor))
                    throw new InvalidOperationException($"Two tuners claim PeftMethod.{attribute.Method}: {found[attribute.Method].DeclaringType!.Name} and {type.Name}.");
            }
        return found;
    });

    public static IReadOnlyCollection<PeftMethod> Methods => tuners.Value.Keys;

    public static ITuner Create(TunerContext context)
    {
        if (!tuners.Value.TryGetValue(context.Options.Method, out var constructor))
            throw new NotSupportedException($"PeftMethod {context.Options.Method} has no tuner (known: {string.Join(", ", tuners.Value.Keys)}).");
        try { return (ITuner)constructor.Invoke([context]); }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
