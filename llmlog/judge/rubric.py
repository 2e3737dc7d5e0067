"""Rubrics: what the judge is told to look for, and on which scale it answers.

A rubric is a TOML file::

    name = "summarize"            # default: the file's name
    scale = "0-100"               # or "pass/fail"
    pass_mark = 70                # 0-100 only: a score this high or higher passes
    features = ["*summar*"]       # bundled ones: the features (globs) it is the default for
    instructions = \"\"\"…\"\"\"

The bundled rubrics (``llmlog/judge/rubrics/``) are the defaults per common task, chosen by
feature name (``general`` for any other). A rubric's version is the SHA-256 of its file:
editing it makes the judge score the calls again under the new version.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from llmlog.errors import UsageError

SCALES = ("0-100", "pass/fail")
DEFAULT_PASS_MARK = 70.0
FALLBACK = "general"
_BUNDLED = Path(__file__).resolve().parent / "rubrics"


@dataclass(frozen=True)
class Rubric:
    name: str
    instructions: str
    scale: str = "0-100"
    pass_mark: float = DEFAULT_PASS_MARK
    features: tuple[str, ...] = ()
    sha256: str = ""

    def matches(self, feature: str | None) -> bool:
        return any(fnmatch.fnmatchcase((feature or "").lower(), glob) for glob in self.features)


def parse(text: str, source: Path) -> Rubric:
    """The rubric in ``text`` (read from ``source``); UsageError saying what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"rubric {source}: {exc}", hint=_HINT) from None
    instructions, scale = data.get("instructions"), data.get("scale", "0-100")
    name = data.get("name", source.stem)
    if not isinstance(instructions, str) or not instructions.strip():
        raise UsageError(f"rubric {source} has no instructions", hint=_HINT)
    if scale not in SCALES or not isinstance(name, str):
        raise UsageError(f"rubric {source}: scale must be one of {', '.join(SCALES)}", hint=_HINT)
    mark = data.get("pass_mark", DEFAULT_PASS_MARK)
    features = data.get("features", [])
    if not isinstance(mark, int | float) or not 0 <= mark <= 100:
        raise UsageError(f"rubric {source}: pass_mark must be a number from 0 to 100")
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise UsageError(f"rubric {source}: features must be a list of globs")
    return Rubric(
        name=name,
        instructions=instructions.strip(),
        scale=scale,
        pass_mark=float(mark),
        features=tuple(f.lower() for f in features),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


_HINT = 'write `instructions = """…"""` and `scale = "0-100"` (or "pass/fail")'


def load(path: Path) -> Rubric:
    """The rubric of ``--rubric FILE``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read rubric {path}: {getattr(exc, 'strerror', None) or exc}",
            hint="give a UTF-8 TOML file",
        ) from None
    return parse(text, path)


@functools.cache
def bundled() -> tuple[Rubric, ...]:
    """The bundled rubrics, the fallback (``general``) last."""
    found = [parse(p.read_text(encoding="utf-8"), p) for p in sorted(_BUNDLED.glob("*.toml"))]
    return tuple(sorted(found, key=lambda r: r.name == FALLBACK))


def for_feature(feature: str | None) -> Rubric:
    """The bundled rubric for a feature: the first whose globs match it, else ``general``."""
    rubrics = bundled()
    return next((r for r in rubrics if r.matches(feature)), rubrics[-1])
