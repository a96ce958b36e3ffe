using System.Globalization;
using System.Text;

namespace MLNet.FineTune.Data;

/// <summary>Jinja's undefined value: renders as empty, is false, and fails on arithmetic or attribute access.</summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new();
}

/// <summary>
/// Evaluates a parsed template over plain values only (strings, integers, floats, booleans, None, lists, string-keyed
/// dictionaries): nothing in a template can reach .NET objects, files or code. Semantics follow Jinja/Python where
/// templates rely on them (truthiness, <c>==</c>, string <c>in</c>, negative indices and slices, <c>loop.*</c>, a
/// <c>set</c> inside a for loop lasting one iteration).
/// </summary>
internal sealed class JinjaRenderer
{
    readonly string source;
    readonly StringBuilder output = new();
    readonly List<Dictionary<string, object?>> scopes;

    JinjaRenderer(string source, Dictionary<string, object?> globals)
    {
        this.source = source;
        scopes = [globals];
    }

    /// <exception cref="ChatTemplateException">(an ArgumentException: the conversation does not fit the template) raise_exception(...) was called, or a value was used in a way Jinja refuses.</exception>
    public static string Render(string source, IReadOnlyList<JinjaNode> template, Dictionary<string, object?> globals)
    {
        var renderer = new JinjaRenderer(source, globals);
        try { renderer.Execute(template); }
        catch (InsufficientExecutionStackException)
        {
            throw new NotSupportedException("The chat template nests expressions too deeply to evaluate (a long chain of operators); simplify it or use a built-in template.");
        }
        return renderer.output.ToString();
    }

    void Execute(IReadOnlyList<JinjaNode> nodes)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        foreach (var node in nodes)
        {
            switch (node)
            {
                case JinjaText t: output.Append(t.Text); break;
                case JinjaOutput o: output.Append(ToText(Evaluate(o.Value), o.Position)); break;
                case JinjaSet s: scopes[^1][s.Variable] = Evaluate(s.Value); break;
                case JinjaGeneration g: Execute(g.Body); break;
                case JinjaIf i:
                {
                    var branch = i.Branches.FirstOrDefault(b => IsTrue(Evaluate(b.Condition)));
                    var body = branch.Body ?? i.Else;
                    if (body is not null) Execute(body);
                    break;
                }
                case JinjaFor f: ExecuteFor(f); break;
                default: throw new InvalidOperationException($"Unknown template node {node.GetType().Name}.");
            }
        }
    }

    void ExecuteFor(JinjaFor f)
    {
        var items = Evaluate(f.Iterable) switch
        {
            List<object?> list => list,
            string s => [.. s.Select(c => (object?)c.ToString())],
            Dictionary<string, object?> d => [.. d.Keys.Cast<object?>()],
            JinjaUndefined => [],
            var other => throw Error(f.Iterable.Position, $"cannot loop over {TypeName(other)}"),
        };
        if (items.Count == 0)
        {
            if (f.Else is not null) Execute(f.Else);
            return;
        }
        for (int i = 0; i < items.Count; i++)
        {
            var loop = new Dictionary<string, object?>
            {
                ["index0"] = (long)i, ["index"] = (long)i + 1, ["first"] = i == 0, ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                ["previtem"] = i > 0 ? items[i - 1] : JinjaUndefined.Instance,
                ["nextitem"] = i + 1 < items.Count ? items[i + 1] : JinjaUndefined.Instance,
            };
            scopes.Add(new Dictionary<string, object?> { [f.Variable] = items[i], ["loop"] = loop });
            try { Execute(f.Body); }
            finally { scopes.RemoveAt(scopes.Count - 1); }
        }
    }

    object? Lookup(string name)
    {
        for (int i = scopes.Count - 1; i >= 0; i--)
            if (scopes[i].TryGetValue(name, out var value)) return value;
        return JinjaUndefined.Instance;
    }

    object? Evaluate(JinjaExpr expr)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack(); // a template is untrusted: deep trees must not overflow the stack
        return EvaluateNode(expr);
    }

    object? EvaluateNode(JinjaExpr expr) => expr switch
    {
        JinjaLiteral l => l.Value,
        JinjaName n => Lookup(n.Name),
        JinjaList l => l.Items.Select(Evaluate).ToList(),
        JinjaGetItem g => GetItem(Evaluate(g.Target), Evaluate(g.Key), g),
        JinjaSlice s => Slice(Evaluate(s.Target), s.Start is null ? null : Evaluate(s.Start), s.Stop is null ? null : Evaluate(s.Stop), s.Position),
        JinjaCall c => Call(c),
        JinjaFilter f => Filter(Evaluate(f.Value), f),
        JinjaTest t => Test(Evaluate(t.Value), t.Name) != t.Negated,
        JinjaUnary { Operator: "not" } u => !IsTrue(Evaluate(u.Operand)),
        JinjaUnary u => Evaluate(u.Operand) switch
        {
            long v => (object)(-v),
            double v => -v,
            var v => throw Error(u.Position, $"cannot negate {TypeName(v)}"),
        },
        JinjaBinary { Operator: "and" } b => Evaluate(b.Left) is var left && !IsTrue(left) ? left : Evaluate(b.Right),
        JinjaBinary { Operator: "or" } b => Evaluate(b.Left) is var left && IsTrue(left) ? left : Evaluate(b.Right),
        JinjaBinary b => Binary(b.Operator, Evaluate(b.Left), Evaluate(b.Right), b.Position),
        JinjaConditional c => IsTrue(Evaluate(c.Condition)) ? Evaluate(c.Then) : c.Else is null ? JinjaUndefined.Instance : Evaluate(c.Else),
        _ => throw new InvalidOperationException($"Unknown template expression {expr.GetType().Name}."),
    };

    object? GetItem(object? target, object? key, JinjaGetItem at)
    {
        switch (target)
        {
            case Dictionary<string, object?> d when key is string k:
                return d.TryGetValue(k, out var value) ? value : JinjaUndefined.Instance;
            case List<object?> list when key is long i:
                i = i < 0 ? i + list.Count : i;
                return i >= 0 && i < list.Count ? list[(int)i] : JinjaUndefined.Instance;
            case string s when key is long i:
                i = i < 0 ? i + s.Length : i;
                return i >= 0 && i < s.Length ? s[(int)i].ToString() : JinjaUndefined.Instance;
            case JinjaUndefined:
                throw Error(at.Position, $"'{Describe(at.Target)}' is undefined, so it has no {(at.IsAttribute ? "attribute" : "item")} {ToRepr(key)}");
            default:
                return JinjaUndefined.Instance;
        }
    }

    object? Slice(object? target, object? start, object? stop, int position)
    {
        int count = target switch { List<object?> l => l.Count, string s => s.Length, _ => throw Error(position, $"cannot slice {TypeName(target)}") };
        int Bound(object? v, int whenNone) => v switch
        {
            null => whenNone,
            long i => (int)Math.Clamp(i < 0 ? i + count : i, 0, count),
            _ => throw Error(position, $"slice bounds must be integers, not {TypeName(v)}"),
        };
        int from = Bound(start, 0), to = Math.Max(from, Bound(stop, count));
        return target is string str ? str[from..to] : ((List<object?>)target!).GetRange(from, to - from);
    }

    object? Call(JinjaCall c)
    {
        var arguments = c.Arguments.Select(Evaluate).ToList();
        if (c.Target is null) // raise_exception, the only function
            throw new ChatTemplateException($"The chat template refused the conversation: {(arguments.Count > 0 ? ToText(arguments[0], c.Position) : "raise_exception() was called")}");
        var target = Evaluate(c.Target);
        string Arg(int i) => i < arguments.Count && arguments[i] is string s ? s : throw Error(c.Position, $"{c.Name}() expects a string argument {i + 1}");
        return (target, c.Name) switch
        {
            (string s, "strip") => arguments.Count == 0 ? PythonStrip(s, true, true) : s.Trim(Arg(0).ToCharArray()),
            (string s, "lstrip") => arguments.Count == 0 ? PythonStrip(s, true, false) : s.TrimStart(Arg(0).ToCharArray()),
            (string s, "rstrip") => arguments.Count == 0 ? PythonStrip(s, false, true) : s.TrimEnd(Arg(0).ToCharArray()),
            (string s, "upper") => s.ToUpperInvariant(),
            (string s, "lower") => s.ToLowerInvariant(),
            (string s, "startswith") => s.StartsWith(Arg(0), StringComparison.Ordinal),
            (string s, "endswith") => s.EndsWith(Arg(0), StringComparison.Ordinal),
            (string s, "replace") => s.Replace(Arg(0), Arg(1), StringComparison.Ordinal),
            (Dictionary<string, object?> d, "get") => d.TryGetValue(Arg(0), out var v) ? v : arguments.Count > 1 ? arguments[1] : null,
            _ => throw Error(c.Position, $"{TypeName(target)} has no method {c.Name}()"),
        };
    }

    object? Filter(object? value, JinjaFilter f) => (f.Name, value) switch
    {
        ("trim", _) => PythonStrip(ToText(value, f.Position), true, true),
        ("lower", _) => ToText(value, f.Position).ToLowerInvariant(),
        ("upper", _) => ToText(value, f.Position).ToUpperInvariant(),
        ("string", _) => ToText(value, f.Position),
        ("length" or "count", string s) => (long)s.Length,
        ("length" or "count", List<object?> l) => (long)l.Count,
        ("length" or "count", Dictionary<string, object?> d) => (long)d.Count,
        ("length" or "count", JinjaUndefined) => 0L,
        ("first", List<object?> l) => l.Count > 0 ? l[0] : JinjaUndefined.Instance,
        ("last", List<object?> l) => l.Count > 0 ? l[^1] : JinjaUndefined.Instance,
        ("first", string s) => s.Length > 0 ? s[..1] : JinjaUndefined.Instance,
        ("last", string s) => s.Length > 0 ? s[^1..] : JinjaUndefined.Instance,
        _ => throw Error(f.Position, $"the filter '{f.Name}' cannot take {TypeName(value)}"),
    };

    static bool Test(object? value, string name) => name switch
    {
        "defined" => value is not JinjaUndefined,
        "undefined" => value is JinjaUndefined,
        "none" => value is null,
        "string" => value is string,
        "number" => value is long or double,
        "mapping" => value is Dictionary<string, object?>,
        "sequence" => value is List<object?> or string or Dictionary<string, object?>,
        "true" => value is true,
        "false" => value is false,
        _ => throw new InvalidOperationException($"Unknown test {name}."),
    };

    object? Binary(string op, object? left, object? right, int position)
    {
        switch (op)
        {
            case "==": return AreEqual(left, right);
            case "!=": return !AreEqual(left, right);
            case "in": return Contains(right, left, position);
            case "not in": return !Contains(right, left, position);
            case "~": return ToText(left, position) + ToText(right, position);
        }
        if (left is JinjaUndefined || right is JinjaUndefined)
            throw Error(position, $"an undefined value is used with '{op}'");
        if (op == "+")
        {
            if (left is string a && right is string b) return a + b;
            if (left is List<object?> la && right is List<object?> lb) return la.Concat(lb).ToList();
        }
        if (op is "<" or ">" or "<=" or ">=")
        {
            int? order = left is string sa && right is string sb ? string.CompareOrdinal(sa, sb)
                : IsNumber(left) && IsNumber(right) ? ToDouble(left).CompareTo(ToDouble(right)) : null;
            if (order is null) throw Error(position, $"cannot compare {TypeName(left)} and {TypeName(right)} with '{op}'");
            return op switch { "<" => order < 0, ">" => order > 0, "<=" => order <= 0, _ => order >= 0 };
        }
        if (!IsNumber(left) || !IsNumber(right))
            throw Error(position, $"unsupported operand types for '{op}': {TypeName(left)} and {TypeName(right)}");
        if (left is long x && right is long y && op != "/")
        {
            if (op is "//" or "%" && y == 0) throw Error(position, "division by zero");
            return op switch
            {
                "+" => x + y,
                "-" => x - y,
                "*" => x * y,
                "//" => (long)Math.Floor((double)x / y),
                _ => ((x % y) + y) % y, // Python's modulo takes the divisor's sign
            };
        }
        double dx = ToDouble(left), dy = ToDouble(right);
        return op switch
        {
            "+" => dx + dy,
            "-" => dx - dy,
            "*" => dx * dy,
            "/" => dy == 0 ? throw Error(position, "division by zero") : dx / dy,
            "//" => Math.Floor(dx / dy),
            _ => dx - dy * Math.Floor(dx / dy),
        };
    }

    bool Contains(object? container, object? item, int position) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        List<object?> l => l.Any(x => AreEqual(x, item)),
        Dictionary<string, object?> d => item is string k && d.ContainsKey(k),
        JinjaUndefined => throw Error(position, "'in' is used on an undefined value"),
        _ => throw Error(position, $"'in' needs a string, list or mapping on the right, not {TypeName(container)}"),
    };

    static bool IsNumber(object? v) => v is long or double or bool;

    static double ToDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => double.NaN };

    static bool AreEqual(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) == ToDouble(b);
        return (a, b) switch
        {
            (null, null) => true,
            (JinjaUndefined, JinjaUndefined) => true,
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
            (Dictionary<string, object?> x, Dictionary<string, object?> y) => x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && AreEqual(kv.Value, v)),
            _ => false,
        };
    }

    internal static bool IsTrue(object? v) => v switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python's <c>str()</c> of a value, as <c>{{ }}</c> and <c>~</c> print it.</summary>
    string ToText(object? v, int position) => v switch
    {
        string s => s,
        JinjaUndefined => "",
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => double.IsInteger(d) && Math.Abs(d) < 1e16 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        _ => throw Error(position, $"printing {TypeName(v)} is not supported"),
    };

    static string ToRepr(object? v) => v is string s ? $"'{s}'" : v?.ToString() ?? "None";

    static string PythonStrip(string s, bool start, bool end) =>
        start && end ? s.Trim() : start ? s.TrimStart() : s.TrimEnd();

    static string TypeName(object? v) => v switch
    {
        null => "None",
        JinjaUndefined => "an undefined value",
        string => "a string",
        bool => "a boolean",
        long => "an integer",
        double => "a float",
        List<object?> => "a list",
        Dictionary<string, object?> => "a mapping",
        _ => v.GetType().Name,
    };

    static string Describe(JinjaExpr e) => e switch
    {
        JinjaName n => n.Name,
        JinjaGetItem { Key: JinjaLiteral k } g => g.IsAttribute ? $"{Describe(g.Target)}.{k.Value}" : $"{Describe(g.Target)}[{ToRepr(k.Value)}]",
        _ => "the value",
    };

    ChatTemplateException Error(int position, string message) =>
        new($"The chat template failed at {JinjaErrors.Where(source, position)}: {message}.");
}

/// <summary>A chat template could not render a conversation (its own raise_exception, or a value it cannot use); the conversation's fault, not the code's.</summary>
internal sealed class ChatTemplateException(string message) : ArgumentException(message);
