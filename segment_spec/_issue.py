"""Issues: one finding about one place in a message, as data.

Every error and warning the library reports is an :class:`Issue`. Strings are rendered from the
data (``issue.message``), so a caller never has to parse them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Issue", "Severity", "json_path"]

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
    parts = ["$"]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _PLAIN_NAME.match(step):
            parts.append(f".{step}")
        else:
            escaped = step.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


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
