"""A safe literal prefilter for signatures: skip a regex when none of its mandatory literals is in the text.

For each top-level alternative of a pattern, the longest run of plain characters that sits outside any group
and is not made optional by a quantifier must appear in every match of that alternative. If every alternative
has such a run (at least MIN_LITERAL characters), the pattern can only match a text that contains one of them
(compared lower-cased, as the patterns are case-insensitive). Patterns where some alternative has no such run
get no prefilter and are always searched.
"""

from __future__ import annotations

MIN_LITERAL = 3
_META = set(".^$*+?{}[]()|\\")
_QUANTIFIERS = set("*?{+")
_ESCAPED_LITERALS = set(".-/'\"_:;,=<>@#%&!~` ")


def _split_top_level(pattern: str) -> list[str] | None:
    branches, current, depth, i = [], [], 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            current.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            end = _class_end(pattern, i)
            if end < 0:
                return None
            current.append(pattern[i : end + 1])
            i = end + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "|" and depth == 0:
            branches.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    branches.append("".join(current))
    return branches


def _class_end(pattern: str, start: int) -> int:
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "]":
            return i
        i += 1
    return -1


def _mandatory_runs(branch: str) -> list[str]:
    """Runs of literal characters at depth 0 that no quantifier makes optional."""
    runs: list[str] = []
    run: list[str] = []
    depth, i = 0, 0

    def flush() -> None:
        if run:
            runs.append("".join(run))
            run.clear()

    while i < len(branch):
        char = branch[i]
        if char == "\\" and i + 1 < len(branch):
            escaped = branch[i + 1]
            literal = escaped if escaped in _ESCAPED_LITERALS or escaped in _META else None
            nxt = branch[i + 2] if i + 2 < len(branch) else ""
            if depth == 0 and literal is not None and nxt not in _QUANTIFIERS:
                run.append(literal)
            else:
                flush()
            i += 2
            continue
        if char == "[":
            end = _class_end(branch, i)
            flush()
            i = (end + 1) if end >= 0 else len(branch)
            continue
        if char == "{":  # a {m,n} quantifier: its digits are not text to match
            end = branch.find("}", i)
            flush()
            i = (end + 1) if end >= 0 else len(branch)
            continue
        if char == "(":
            depth += 1
            flush()
        elif char == ")":
            depth -= 1
            flush()
            i += 1
            continue
        elif depth == 0 and char not in _META:
            nxt = branch[i + 1] if i + 1 < len(branch) else ""
            if nxt in _QUANTIFIERS:
                flush()
            else:
                run.append(char)
        else:
            flush()
        i += 1
    flush()
    return runs


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-cased literals, one of which every match must contain; None when no safe prefilter exists."""
    if pattern.startswith("(?-i)") or "(?" in pattern.replace("(?:", ""):
        return None  # inline flags or lookarounds: keep it simple and always search
    branches = _split_top_level(pattern)
    if branches is None:
        return None
    literals = set()
    for branch in branches:
        runs = [r for r in _mandatory_runs(branch) if len(r.strip()) >= MIN_LITERAL]
        if not runs:
            return None
        literals.add(max(runs, key=len).lower())
    return frozenset(literals)
