"""A signature: one recognisable error family, what it means, and how sure a match makes us."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.rca.signatures.prefilter import required_literals


@dataclass(frozen=True)
class Signature:
    """A regular expression over the error text that identifies one error family.

    `weight` is the confidence a match alone gives (vendor codes ~0.9, generic phrases ~0.6).
    `retryable` says whether a plain retry after a short wait usually fixes this family.
    """

    name: str
    family: str
    regex: re.Pattern[str]
    category: Category
    pattern: str
    retryable: bool
    weight: float
    explanation: str = ""
    literals: frozenset[str] | None = field(default=None, compare=False)

    def could_match(self, lowered: str) -> bool:
        """False only when the regex cannot match: none of its mandatory literals is in the lower-cased text."""
        return self.literals is None or any(literal in lowered for literal in self.literals)


def sig(
    name: str,
    family: str,
    expression: str,
    category: Category,
    pattern: str,
    *,
    retryable: bool,
    weight: float,
    explanation: str = "",
) -> Signature:
    """Build a signature; expressions are case-insensitive unless they start with (?-i)."""
    flags = re.IGNORECASE if not expression.startswith("(?-i)") else 0
    return Signature(
        name=name,
        family=family,
        regex=re.compile(expression, flags),
        category=category,
        pattern=pattern,
        retryable=retryable,
        weight=weight,
        explanation=explanation,
        literals=required_literals(expression),
    )
