using System.Globalization;

namespace MLNet.FineTune.Data;

/// <summary>
/// Parses the token stream of <see cref="JinjaLexer"/> into statements and expressions, with Jinja's operator
/// precedence (conditional &lt; or &lt; and &lt; not &lt; comparisons/in &lt; ~ &lt; + - &lt; * / // % &lt; unary
/// minus &lt; postfix, filters and tests). Constructs outside the subset throw <see cref="NotSupportedException"/>
/// naming the construct and its line and column, at parse time.
/// </summary>
internal sealed class JinjaParser
{
    public static readonly HashSet<string> Filters = ["trim", "length", "count", "lower", "upper", "string", "first", "last"];
    public static readonly HashSet<string> Tests = ["defined", "undefined", "none", "string", "number", "mapping", "sequence", "true", "false"];
    public static readonly HashSet<string> Methods = ["strip", "lstrip", "rstrip", "upper", "lower", "startswith", "endswith", "get", "replace"];
    static readonly HashSet<string> Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    /// <summary>Deepest nesting of statements and expressions accepted: a template is untrusted input, and recursion must not overflow the stack.</summary>
    public const int MaxDepth = 100;

    readonly string source;
    readonly List<JinjaToken> tokens;
    int index, depth;

    JinjaParser(string source)
    {
        this.source = source;
        tokens = JinjaLexer.Tokenize(source);
    }

    public static IReadOnlyList<JinjaNode> Parse(string source)
    {
        var parser = new JinjaParser(source);
        var body = parser.ParseBody(out var end);
        if (end is not null) throw JinjaErrors.Syntax(source, end.Value.Position, $"'{end.Value.Value}' without a matching opening statement");
        return body;
    }

    JinjaToken Peek => tokens[index];

    JinjaToken Next() => tokens[index++];

    bool IsOperator(string op) => Peek.Kind == JinjaTokenKind.Operator && Peek.Value == op;

    bool IsName(string name) => Peek.Kind == JinjaTokenKind.Name && Peek.Value == name;

    JinjaToken Expect(JinjaTokenKind kind, string? value, string what)
    {
        var t = Peek;
        if (t.Kind != kind || (value is not null && t.Value != value))
            throw JinjaErrors.Syntax(source, t.Position, $"expected {what}, found {Describe(t)}");
        return Next();
    }

    static string Describe(JinjaToken t) => t.Kind switch
    {
        JinjaTokenKind.End => "the end of the template",
        JinjaTokenKind.StatementEnd => "'%}'",
        JinjaTokenKind.OutputEnd => "'}}'",
        JinjaTokenKind.String => "a string",
        _ => $"'{t.Value}'",
    };

    /// <summary>Statements up to the end of the template or up to a closing keyword (<c>endfor</c>, <c>elif</c>, ...), which is returned unconsumed in <paramref name="closer"/>.</summary>
    List<JinjaNode> ParseBody(out JinjaToken? closer)
    {
        using var _ = Nest();
        var nodes = new List<JinjaNode>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case JinjaTokenKind.End:
                    closer = null;
                    return nodes;
                case JinjaTokenKind.Text:
                    Next();
                    nodes.Add(new JinjaText(t.Value, t.Position));
                    break;
                case JinjaTokenKind.OutputBegin:
                    Next();
                    nodes.Add(new JinjaOutput(ParseExpression(), t.Position));
                    Expect(JinjaTokenKind.OutputEnd, null, "'}}'");
                    break;
                case JinjaTokenKind.StatementBegin:
                    var keyword = tokens[index + 1];
                    if (keyword.Kind != JinjaTokenKind.Name) throw JinjaErrors.Syntax(source, keyword.Position, "expected a statement name after '{%'");
                    if (keyword.Value is "endfor" or "endif" or "elif" or "else" or "endgeneration")
                    {
                        closer = keyword;
                        return nodes;
                    }
                    Next();
                    Next();
                    nodes.Add(ParseStatement(keyword));
                    break;
                default:
                    throw JinjaErrors.Syntax(source, t.Position, $"unexpected {Describe(t)}");
            }
        }
    }

    JinjaNode ParseStatement(JinjaToken keyword)
    {
        switch (keyword.Value)
        {
            case "for": return ParseFor(keyword.Position);
            case "if": return ParseIf(keyword.Position);
            case "set":
            {
                var name = Expect(JinjaTokenKind.Name, null, "a variable name after 'set'");
                if (IsOperator(".") || IsOperator(",")) throw JinjaErrors.Unsupported(source, Peek.Position, "'set' on an attribute or several names (namespace objects)");
                if (Peek.Kind == JinjaTokenKind.StatementEnd) throw JinjaErrors.Unsupported(source, keyword.Position, "a block 'set' ({% set x %}...{% endset %})");
                Expect(JinjaTokenKind.Operator, "=", "'='");
                var value = ParseExpression();
                EndStatement();
                return new JinjaSet(name.Value, value, keyword.Position);
            }
            case "generation":
            {
                EndStatement();
                var body = ParseBody(out var closer);
                Close(closer, "endgeneration", keyword.Position);
                return new JinjaGeneration(body, keyword.Position);
            }
            default:
                throw JinjaErrors.Unsupported(source, keyword.Position, $"the statement '{{% {keyword.Value} %}}'");
        }
    }

    JinjaNode ParseFor(int position)
    {
        var variable = Expect(JinjaTokenKind.Name, null, "a loop variable after 'for'");
        if (IsOperator(",")) throw JinjaErrors.Unsupported(source, Peek.Position, "a for loop over several names (tuple unpacking)");
        Expect(JinjaTokenKind.Name, "in", "'in'");
        var iterable = ParseConditional(allowConditional: false);
        if (IsName("if")) throw JinjaErrors.Unsupported(source, Peek.Position, "a filtered for loop ('for x in y if ...')");
        if (IsName("recursive")) throw JinjaErrors.Unsupported(source, Peek.Position, "a recursive for loop");
        EndStatement();
        var body = ParseBody(out var closer);
        List<JinjaNode>? otherwise = null;
        if (closer?.Value == "else")
        {
            Next(); Next();
            EndStatement();
            otherwise = ParseBody(out closer);
        }
        Close(closer, "endfor", position);
        return new JinjaFor(variable.Value, iterable, body, otherwise, position);
    }

    JinjaNode ParseIf(int position)
    {
        var branches = new List<(JinjaExpr, IReadOnlyList<JinjaNode>)>();
        var condition = ParseExpression();
        EndStatement();
        List<JinjaNode>? otherwise = null;
        while (true)
        {
            var body = ParseBody(out var closer);
            branches.Add((condition, body));
            if (closer?.Value == "elif")
            {
                Next(); Next();
                condition = ParseExpression();
                EndStatement();
                continue;
            }
            if (closer?.Value == "else")
            {
                Next(); Next();
                EndStatement();
                otherwise = ParseBody(out closer);
            }
            Close(closer, "endif", position);
            return new JinjaIf(branches, otherwise, position);
        }
    }

    void EndStatement() => Expect(JinjaTokenKind.StatementEnd, null, "'%}'");

    void Close(JinjaToken? closer, string expected, int opened)
    {
        if (closer is null) throw JinjaErrors.Syntax(source, opened, $"the statement is never closed with '{{% {expected} %}}'");
        if (closer.Value.Value != expected) throw JinjaErrors.Syntax(source, closer.Value.Position, $"expected '{{% {expected} %}}', found '{{% {closer.Value.Value} %}}'");
        Next(); Next();
        EndStatement();
    }

    JinjaExpr ParseExpression()
    {
        using var _ = Nest();
        return ParseConditional(allowConditional: true);
    }

    DepthGuard Nest()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        if (++depth > MaxDepth) throw JinjaErrors.Unsupported(source, Peek.Position, $"nesting deeper than {MaxDepth} levels");
        return new DepthGuard(this);
    }

    readonly struct DepthGuard(JinjaParser parser) : IDisposable
    {
        public void Dispose() => parser.depth--;
    }

    JinjaExpr ParseConditional(bool allowConditional)
    {
        var value = ParseOr();
        while (allowConditional && IsName("if"))
        {
            int position = Next().Position;
            var condition = ParseOr();
            JinjaExpr? otherwise = null;
            if (IsName("else")) { Next(); otherwise = ParseExpression(); }
            value = new JinjaConditional(value, condition, otherwise, position);
        }
        return value;
    }

    JinjaExpr ParseOr()
    {
        var left = ParseAnd();
        while (IsName("or")) { int p = Next().Position; left = new JinjaBinary("or", left, ParseAnd(), p); }
        return left;
    }

    JinjaExpr ParseAnd()
    {
        var left = ParseNot();
        while (IsName("and")) { int p = Next().Position; left = new JinjaBinary("and", left, ParseNot(), p); }
        return left;
    }

    JinjaExpr ParseNot()
    {
        if (IsName("not")) { int p = Next().Position; using var _ = Nest(); return new JinjaUnary("not", ParseNot(), p); }
        return ParseCompare();
    }

    JinjaExpr ParseCompare()
    {
        var left = ParseConcat();
        while (true)
        {
            int p = Peek.Position;
            if (Peek.Kind == JinjaTokenKind.Operator && Comparisons.Contains(Peek.Value)) left = new JinjaBinary(Next().Value, left, ParseConcat(), p);
            else if (IsName("in")) { Next(); left = new JinjaBinary("in", left, ParseConcat(), p); }
            else if (IsName("not") && tokens[index + 1] is { Kind: JinjaTokenKind.Name, Value: "in" }) { Next(); Next(); left = new JinjaBinary("not in", left, ParseConcat(), p); }
            else return left;
        }
    }

    JinjaExpr ParseConcat()
    {
        var left = ParseAdd();
        while (IsOperator("~")) { int p = Next().Position; left = new JinjaBinary("~", left, ParseAdd(), p); }
        return left;
    }

    JinjaExpr ParseAdd()
    {
        var left = ParseMultiply();
        while (IsOperator("+") || IsOperator("-")) { var t = Next(); left = new JinjaBinary(t.Value, left, ParseMultiply(), t.Position); }
        return left;
    }

    JinjaExpr ParseMultiply()
    {
        var left = ParseUnary();
        while (IsOperator("*") || IsOperator("/") || IsOperator("//") || IsOperator("%"))
        {
            var t = Next();
            left = new JinjaBinary(t.Value, left, ParseUnary(), t.Position);
        }
        if (IsOperator("**")) throw JinjaErrors.Unsupported(source, Peek.Position, "the '**' operator");
        return left;
    }

    JinjaExpr ParseUnary()
    {
        using var _ = Nest();
        if (IsOperator("-")) { int p = Next().Position; return ParseFilters(new JinjaUnary("-", ParseUnary(), p)); }
        if (IsOperator("+")) { Next(); return ParseUnary(); }
        return ParseFilters(ParsePostfix(ParsePrimary()));
    }

    JinjaExpr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case JinjaTokenKind.String:
            {
                var text = t.Value;
                while (Peek.Kind == JinjaTokenKind.String) text += Next().Value; // adjacent literals join, as in Python
                return new JinjaLiteral(text, t.Position);
            }
            case JinjaTokenKind.Integer: return new JinjaLiteral(long.Parse(t.Value, CultureInfo.InvariantCulture), t.Position);
            case JinjaTokenKind.Float: return new JinjaLiteral(double.Parse(t.Value, CultureInfo.InvariantCulture), t.Position);
            case JinjaTokenKind.Name:
                return t.Value switch
                {
                    "true" or "True" => new JinjaLiteral(true, t.Position),
                    "false" or "False" => new JinjaLiteral(false, t.Position),
                    "none" or "None" => new JinjaLiteral(null, t.Position),
                    _ => new JinjaName(t.Value, t.Position),
                };
            case JinjaTokenKind.Operator when t.Value == "(":
            {
                var inner = ParseExpression();
                if (IsOperator(",")) throw JinjaErrors.Unsupported(source, Peek.Position, "a tuple");
                Expect(JinjaTokenKind.Operator, ")", "')'");
                return inner;
            }
            case JinjaTokenKind.Operator when t.Value == "[":
            {
                var items = new List<JinjaExpr>();
                while (!IsOperator("]"))
                {
                    items.Add(ParseExpression());
                    if (!IsOperator(",")) break;
                    Next();
                }
                Expect(JinjaTokenKind.Operator, "]", "']'");
                return new JinjaList(items, t.Position);
            }
            case JinjaTokenKind.Operator when t.Value == "{":
                throw JinjaErrors.Unsupported(source, t.Position, "a dict literal");
            default:
                throw JinjaErrors.Syntax(source, t.Position, $"expected a value, found {Describe(t)}");
        }
    }

    JinjaExpr ParsePostfix(JinjaExpr target)
    {
        while (true)
        {
            int p = Peek.Position;
            if (IsOperator("."))
            {
                Next();
                var name = Peek.Kind == JinjaTokenKind.Integer ? Next() : Expect(JinjaTokenKind.Name, null, "an attribute name after '.'");
                if (IsOperator("("))
                {
                    if (!Methods.Contains(name.Value)) throw JinjaErrors.Unsupported(source, name.Position, $"the method '{name.Value}()'");
                    target = new JinjaCall(target, name.Value, ParseArguments(), name.Position);
                }
                else target = new JinjaGetItem(target, name.Kind == JinjaTokenKind.Integer
                    ? new JinjaLiteral(long.Parse(name.Value, CultureInfo.InvariantCulture), name.Position)
                    : new JinjaLiteral(name.Value, name.Position), IsAttribute: true, p);
            }
            else if (IsOperator("["))
            {
                Next();
                JinjaExpr? start = IsOperator(":") ? null : ParseExpression();
                if (IsOperator(":"))
                {
                    Next();
                    JinjaExpr? stop = IsOperator("]") || IsOperator(":") ? null : ParseExpression();
                    if (IsOperator(":")) throw JinjaErrors.Unsupported(source, Peek.Position, "a slice with a step");
                    Expect(JinjaTokenKind.Operator, "]", "']'");
                    target = new JinjaSlice(target, start, stop, p);
                }
                else
                {
                    Expect(JinjaTokenKind.Operator, "]", "']'");
                    target = new JinjaGetItem(target, start!, IsAttribute: false, p);
                }
            }
            else if (IsOperator("("))
            {
                if (target is not JinjaName { Name: "raise_exception" } function)
                    throw JinjaErrors.Unsupported(source, target.Position, target is JinjaName n ? $"the function '{n.Name}()'" : "a call of this value");
                target = new JinjaCall(null, function.Name, ParseArguments(), function.Position);
            }
            else return target;
        }
    }

    List<JinjaExpr> ParseArguments()
    {
        Expect(JinjaTokenKind.Operator, "(", "'('");
        var arguments = new List<JinjaExpr>();
        while (!IsOperator(")"))
        {
            if (Peek.Kind == JinjaTokenKind.Name && tokens[index + 1] is { Kind: JinjaTokenKind.Operator, Value: "=" })
                throw JinjaErrors.Unsupported(source, Peek.Position, "a keyword argument");
            arguments.Add(ParseExpression());
            if (!IsOperator(",")) break;
            Next();
        }
        Expect(JinjaTokenKind.Operator, ")", "')'");
        return arguments;
    }

    JinjaExpr ParseFilters(JinjaExpr value)
    {
        while (true)
        {
            if (IsOperator("|"))
            {
                Next();
                var name = Expect(JinjaTokenKind.Name, null, "a filter name after '|'");
                if (!Filters.Contains(name.Value)) throw JinjaErrors.Unsupported(source, name.Position, $"the filter '{name.Value}'");
                if (IsOperator("(")) throw JinjaErrors.Unsupported(source, Peek.Position, $"arguments to the filter '{name.Value}'");
                value = new JinjaFilter(value, name.Value, name.Position);
            }
            else if (IsName("is"))
            {
                Next();
                bool negated = false;
                if (IsName("not")) { Next(); negated = true; }
                var name = Peek.Kind == JinjaTokenKind.Name ? Next() : Expect(JinjaTokenKind.Name, null, "a test name after 'is'");
                if (!Tests.Contains(name.Value)) throw JinjaErrors.Unsupported(source, name.Position, $"the test 'is {name.Value}'");
                value = new JinjaTest(value, name.Value, negated, name.Position);
            }
            else return value;
        }
    }
}
