"""Issues: one finding about one place in a message, as data.

Every error and warning the library reports is an :class:`Issue`. Strings are rendered from the
data (``issue.message``), so a caller never has to parse them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "MAX_ISSUES",
    "MAX_ISSUE_STEPS",
    "Bounds",
    "Findings",
    "Issue",
    "Severity",
    "issue_bounds",
    "json_path",
]

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Severity(StrEnum):
    """How much an :class:`Issue` weighs.

    ``ERROR`` rejects the message. ``WARNING`` keeps it (``check(strict=True)`` turns every
    warning into a rejection).
    """

    ERROR = "error"
    WARNING = "warning"


def json_path(path: tuple[str | int, ...]) -> str:
    """Render a path as a JSONPath such as ``$.properties.products[1].price``.

    >>> json_path(("properties", "products", 1, "price"))
    '$.properties.products[1].price'
    >>> json_path(("integrations", "Google Analytics"))
    "$.integrations['Google Analytics']"
    """
    return "$" + "".join(_render(step) for step in path)


def _render(step: str | int) -> str:
    if isinstance(step, int):
        return f"[{step}]"
    if _PLAIN_NAME.match(step):
        return f".{step}"
    escaped = step.replace("\\", "\\\\").replace("'", "\\'")
    return f"['{escaped}']"


def dotted(path: tuple[str | int, ...]) -> str:
    """Render a path the way people write it: ``properties.products[1].price``."""
    rendered = json_path(path)
    return rendered[2:] if rendered.startswith("$.") else rendered[1:] or "message"


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding about one place in a message.

    Attributes:
        path: Where the issue is, as keys and list indexes from the top of the message
            (after snake_case normalization), e.g. ``("properties", "revenue")``.
        keyword: A stable, machine-readable name for the kind of issue, e.g. ``"required"``,
            ``"type"``, ``"key-collision"``. docs/error-model.md lists every keyword.
        message: A one-line, human-readable sentence. It names the field and what was expected,
            and never repeats a submitted value.
        severity: :attr:`Severity.ERROR` rejects the message; :attr:`Severity.WARNING` does not
            (unless ``strict=True``).
    """

    path: tuple[str | int, ...]
    keyword: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def json_path(self) -> str:
        """The path as a JSONPath string, e.g. ``$.properties.revenue``."""
        return json_path(self.path)

    @property
    def is_error(self) -> bool:
        """True when this issue rejects the message even without ``strict``."""
        return self.severity is Severity.ERROR

    def as_error(self) -> Issue:
        """Return this issue with :attr:`Severity.ERROR` (used by strict mode)."""
        if self.severity is Severity.ERROR:
            return self
        return Issue(self.path, self.keyword, self.message, Severity.ERROR)

    def __str__(self) -> str:
        return f"{self.json_path}: {self.message}"


# What one stage lists of one message, at most: this many issues, and this many path steps in
# all (a key collision at each of 1,000 levels would otherwise give a million); a small message
# lists fewer (:func:`issue_bounds`), so that its issues never take many times its own size.
# Whatever is found beyond them is counted, and said in one last issue.
MAX_ISSUES = 100
MAX_ISSUE_STEPS = 4096

Bounds = tuple[int, int]
"""The most issues, and the most path steps in all, that one stage lists of one message."""


def issue_bounds(size: int | None) -> Bounds:
    """The bounds for a message of ``size`` bytes: an issue for each 128 bytes and a path step
    for each 8, between 10 issues and 64 steps and :data:`MAX_ISSUES` and
    :data:`MAX_ISSUE_STEPS` (an issue takes about 200 bytes, a step 8); None gives the most.

    >>> issue_bounds(1200), issue_bounds(32768), issue_bounds(None)
    ((10, 150), (100, 4096), (100, 4096))
    """
    if size is None:
        return MAX_ISSUES, MAX_ISSUE_STEPS
    return (
        max(10, min(MAX_ISSUES, size // 128)),
        max(64, min(MAX_ISSUE_STEPS, size // 8)),
    )


class Findings(list[Issue]):
    """The issues one stage finds in one message, up to its ``bounds`` (:func:`issue_bounds`);
    past them, issues are counted instead of kept, and a stage that
    can skip its search once ``full`` is true sets ``truncated``; one that searched only part
    of the message (a bounded view of a large value) sets ``partial``.

    ``errors_only`` asks the stage for its errors alone (validation leaves out the parts of a
    schema that only warn), for when the bounds were reached before any error was listed;
    ``severity`` is that of the issues :meth:`add` makes.
    """

    __slots__ = (
        "bounds",
        "errors_only",
        "omitted",
        "omitted_errors",
        "partial",
        "severity",
        "steps",
        "truncated",
    )

    def __init__(
        self,
        *,
        errors_only: bool = False,
        severity: Severity = Severity.ERROR,
        bounds: Bounds = (MAX_ISSUES, MAX_ISSUE_STEPS),
    ) -> None:
        super().__init__()
        self.errors_only = errors_only
        self.severity = severity
        self.bounds = bounds
        self.steps = 0
        self.omitted = 0
        self.omitted_errors = False
        self.truncated = False
        self.partial = False

    @property
    def full(self) -> bool:
        """True once no more issues are kept."""
        return len(self) >= self.bounds[0] or self.steps >= self.bounds[1]

    def append(self, issue: Issue) -> None:
        if self.full:
            self.omitted += 1
            self.omitted_errors = self.omitted_errors or issue.is_error
            return
        super().append(issue)
        self.steps += len(issue.path)

    def add(self, path: tuple[str | int, ...], keyword: str, message: str) -> None:
        """Add an issue of this stage's ``severity``."""
        if self.full:
            self.skip(error=self.severity is Severity.ERROR)
            return
        list.append(self, Issue(path, keyword, message, self.severity))
        self.steps += len(path)

    def skip(self, *, error: bool = False) -> None:
        """Count an issue not built, because ``full`` said it would not be kept."""
        self.omitted += 1
        self.omitted_errors = self.omitted_errors or error

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.append(issue)

    def absorb(self, other: Findings) -> None:
        """Take the issues, counts and truncation of ``other`` (a search within this one)."""
        self.extend(other)
        self.omitted += other.omitted
        self.omitted_errors = self.omitted_errors or other.omitted_errors
        self.truncated = self.truncated or other.truncated
        self.partial = self.partial or other.partial

    def listed(self, one: str, many: str) -> list[Issue]:
        """The issues kept, and one more saying what was left out, if anything was (``one``
        and ``many`` name what was left out: ``"issue"``, ``"issues"``)."""
        if not (self.omitted or self.truncated or self.partial):
            return list(self)
        if self.truncated:
            text = f"more {many} are not listed"
        elif self.omitted == 1:
            text = f"1 more {one} is not listed"
        elif self.omitted:
            text = f"{self.omitted:,} more {many} are not listed"
        else:
            text = f"more {many} may not be listed"
        if self.partial and not self.truncated:
            text += ": only part of the message was searched"
        severity = Severity.ERROR if self.omitted_errors else Severity.WARNING
        return [*self, Issue((), "more-issues", text, severity)]
