"""Privacy at capture time: keys are always scrubbed; PII redaction can be switched on.

- ``scrub_keys`` (always on): the client's own API key(s) and anything that looks like a
  provider or cloud key become ``[KEY]``. It runs on the raw JSON bytes (the pattern's
  characters never include quotes or backslashes, so the JSON stays valid).
- ``redact_pii`` (``redact_pii=True`` / ``LLMLOG_REDACT_PII=1``): in every string of the
  request, response and derived text: e-mail ``[EMAIL]``, card numbers that pass the Luhn
  check ``[CARD]``, IBANs that pass mod-97 ``[IBAN]``, IPv4/IPv6 addresses ``[IP]``, phone
  numbers (``+CC ...``, ``(415) 555-0100``, ``415-555-0100``; 9-15 digits) ``[PHONE]``,
  key-looking strings ``[KEY]``.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

KEY_TOKEN = "[KEY]"
_KEY_BODY = r"[A-Za-z0-9_\-]"
KEY_PATTERN = (
    rf"\bsk-{_KEY_BODY}{{16,}}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"
    rf"|\bAIza{_KEY_BODY}{{35}}"
    rf"|(?<=Bearer )[A-Za-z0-9._\-]{{16,}}"
)
_KEYS_TEXT = re.compile(KEY_PATTERN)
_KEYS_BYTES = re.compile(KEY_PATTERN.encode())

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|\(\d{3}\)\s?\d{3}[\s.-]?\d{4}"
    r"|\d{3}[\s.-]\d{3}[\s.-]\d{4})(?![\w])"
)


# Every key pattern starts with one of these; a body without any skips the full pattern.
KEY_STARTS = (rb"sk-", rb"AKIA", rb"gh[pousr]_", rb"xox", rb"AIza", rb"Bearer ")
_KEY_START = re.compile(b"|".join(KEY_STARTS))


def key_start_finder() -> Callable[[bytes], bool]:
    """A test for "does this body hold any of ``KEY_STARTS``": Hyperscan's (SIMD, ~0.7 us
    for a 2 KB body) where it is installed (Linux x86-64) and runs, else Python's re
    (~8 us)."""

    def by_re(data: bytes) -> bool:
        return _KEY_START.search(data) is not None

    try:
        import hyperscan

        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(
            expressions=list(KEY_STARTS),
            ids=list(range(len(KEY_STARTS))),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(KEY_STARTS),
        )
    except Exception:  # not installed, or a CPU it does not support (ArchitectureError)
        return by_re
    scratches = threading.local()  # a scratch space serves one scan at a time

    def found(data: bytes) -> bool:
        try:
            scratch = getattr(scratches, "scratch", None)
            if scratch is None:
                scratch = scratches.scratch = hyperscan.Scratch(database)
            hits: list[int] = []
            database.scan(data, match_event_handler=_hit, context=hits, scratch=scratch)
        except hyperscan.error:
            return by_re(data)
        return bool(hits)

    return found


def _hit(pattern: int, start: int, end: int, flags: int, hits: list[int]) -> None:
    hits.append(pattern)


_finder: Callable[[bytes], bool] | None = None


def scrub_keys_bytes(data: bytes, secrets: Iterable[str] = ()) -> bytes:
    """``data`` without the client's own keys (``secrets``) and key-looking strings.

    A body where the prefilter finds none of ``KEY_STARTS`` holds no secret that starts
    with one of them either (OpenAI's and Anthropic's all do): those are looked for only
    in a body that has one (each search of a 60 KB stream costs ~25 us)."""
    global _finder
    if _finder is None:
        _finder = key_start_finder()
    keyish = _finder(data)
    for secret in secrets:
        raw = secret.encode()
        if keyish or not _KEY_START.match(raw):
            data = data.replace(raw, KEY_TOKEN.encode())
    if not keyish:
        return data
    return _KEYS_BYTES.sub(KEY_TOKEN.encode(), data)


def scrub_keys(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, KEY_TOKEN)
    return _KEYS_TEXT.sub(KEY_TOKEN, text)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    text = candidate.replace(" ", "")
    if not 15 <= len(text) <= 34:
        return False
    moved = text[4:] + text[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group()


def _iban(match: re.Match[str]) -> str:
    return "[IBAN]" if iban_ok(match.group()) else match.group()


def _ip(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group())
    except ValueError:
        return match.group()
    return "[IP]"


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[PHONE]" if 9 <= len(digits) <= 15 else match.group()


def redact_text(text: str) -> str:
    """``text`` with PII and key-looking strings replaced by ``[KIND]`` markers."""
    text = _KEYS_TEXT.sub(KEY_TOKEN, text)
    text = _EMAIL.sub("[EMAIL]", text)
    text = _IBAN.sub(_iban, text)
    text = _CARD.sub(_card, text)
    text = _IPV6.sub(_ip, text)
    text = _IPV4.sub(_ip, text)
    return _PHONE.sub(_phone, text)


def walk_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """``value`` (JSON-shaped) with ``fn`` applied to every string value."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: walk_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [walk_strings(v, fn) for v in value]
    return value


def redact_pii(value: Any) -> Any:
    return walk_strings(value, redact_text)
