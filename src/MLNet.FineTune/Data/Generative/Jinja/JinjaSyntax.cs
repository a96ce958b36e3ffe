namespace MLNet.FineTune.Data;

/// <summary>A statement of a parsed template; <see cref="Position"/> is its offset in the template.</summary>
internal abstract record JinjaNode(int Position);

internal sealed record JinjaText(string Text, int Position) : JinjaNode(Position);

internal sealed record JinjaOutput(JinjaExpr Value, int Position) : JinjaNode(Position);

internal sealed record JinjaFor(string Variable, JinjaExpr Iterable, IReadOnlyList<JinjaNode> Body, IReadOnlyList<JinjaNode>? Else, int Position) : JinjaNode(Position);

internal sealed record JinjaIf(IReadOnlyList<(JinjaExpr Condition, IReadOnlyList<JinjaNode> Body)> Branches, IReadOnlyList<JinjaNode>? Else, int Position) : JinjaNode(Position);

internal sealed record JinjaSet(string Variable, JinjaExpr Value, int Position) : JinjaNode(Position);

/// <summary>HF's <c>{% generation %}</c> marker: rendered as its body (assistant masks come from prefix renderings instead).</summary>
internal sealed record JinjaGeneration(IReadOnlyList<JinjaNode> Body, int Position) : JinjaNode(Position);

/// <summary>An expression of a parsed template.</summary>
internal abstract record JinjaExpr(int Position);

internal sealed record JinjaLiteral(object? Value, int Position) : JinjaExpr(Position);

internal sealed record JinjaName(string Name, int Position) : JinjaExpr(Position);

internal sealed record JinjaList(IReadOnlyList<JinjaExpr> Items, int Position) : JinjaExpr(Position);

/// <summary><c>a.b</c> (<see cref="IsAttribute"/>) or <c>a[b]</c>.</summary>
internal sealed record JinjaGetItem(JinjaExpr Target, JinjaExpr Key, bool IsAttribute, int Position) : JinjaExpr(Position);

internal sealed record JinjaSlice(JinjaExpr Target, JinjaExpr? Start, JinjaExpr? Stop, int Position) : JinjaExpr(Position);

/// <summary>A call: <c>raise_exception(msg)</c> or a method such as <c>s.strip()</c> (<see cref="Target"/> the object).</summary>
internal sealed record JinjaCall(JinjaExpr? Target, string Name, IReadOnlyList<JinjaExpr> Arguments, int Position) : JinjaExpr(Position);

internal sealed record JinjaFilter(JinjaExpr Value, string Name, int Position) : JinjaExpr(Position);

internal sealed record JinjaTest(JinjaExpr Value, string Name, bool Negated, int Position) : JinjaExpr(Position);

internal sealed record JinjaUnary(string Operator, JinjaExpr Operand, int Position) : JinjaExpr(Position);

internal sealed record JinjaBinary(string Operator, JinjaExpr Left, JinjaExpr Right, int Position) : JinjaExpr(Position);

/// <summary><c>Then if Condition else Else</c>.</summary>
internal sealed record JinjaConditional(JinjaExpr Then, JinjaExpr Condition, JinjaExpr? Else, int Position) : JinjaExpr(Position);
