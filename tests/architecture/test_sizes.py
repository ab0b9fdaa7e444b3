"""No module over 600 lines and no function over 80 in shared/, local/, functions/ and bench/.

Exemptions: none today. An entry may only be added for work in flight, naming its owner and issue (for example
a CLI command over 80 lines while h11/issue 11 moves it), and is removed by that owner; a stale entry fails
`test_size_exemptions_are_still_needed`. Keep the list short.
"""

from __future__ import annotations

from house import CHECKED, REPO, long_functions, python_files, size_problems

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# "path" (a module) or "path:Qualified.name" (a function), paths from the repo root -> owner.
EXEMPT: dict[str, str] = {}


def _files():
    return [path for path, _root in python_files(CHECKED, REPO)]


def test_given_the_code_when_measured_then_no_module_or_function_is_over_its_limit():
    problems = size_problems(
        _files(), max_module_lines=MAX_MODULE_LINES, max_function_lines=MAX_FUNCTION_LINES, exempt=EXEMPT
    )
    assert not problems, "\n".join(problems)


def test_size_exemptions_are_still_needed():
    over = set(
        size_problems(_files(), max_module_lines=MAX_MODULE_LINES, max_function_lines=MAX_FUNCTION_LINES, exempt={})
    )
    stale = [key for key in EXEMPT if not any(p.startswith(f"{key}:") for p in over)]
    assert not stale, f"remove these exemptions, they are within the limits now: {stale}"


def test_given_planted_oversized_code_when_measured_then_both_are_reported(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(80))
    big = tmp_path / "big.py"
    big.write_text(
        "class Box:\n    def method(self):\n" + body.replace("\n    ", "\n        ").replace("    x0", "        x0", 1)
        + "\n\n\ndef short():\n    return 1\n\n\ndef exactly_eighty():\n" + "\n".join(["    pass"] * 79) + "\n"
        + "\n" * 520,
        encoding="utf-8",
    )
    assert long_functions(big, 80) == [("Box.method", 81)]
    problems = size_problems([big], max_module_lines=600, max_function_lines=80, exempt={})
    assert len(problems) == 2 and "lines (limit 600)" in problems[0] and "Box.method: 81 lines" in problems[1]
    assert size_problems([big], max_module_lines=600, max_function_lines=80, exempt={f"{big}:Box.method": "me"}) == [
        problems[0]
    ]
