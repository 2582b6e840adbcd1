"""Text every supported database can hold, from bytes or strings that it cannot.

PostgreSQL refuses a NUL character in text and in JSON, and no database holds
bytes that are not UTF-8 (or a lone surrogate) as text. Such values are
escaped, reversibly: backslashes are doubled, NUL becomes ``\\x00``, any other
byte that is not UTF-8 becomes ``\\xNN`` (a surrogate ``\\udNNN``). Values the
database can hold are stored as they are.
"""

from __future__ import annotations

import codecs
from typing import Any


def needs_escaping(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def escape_text(text: str) -> str:
    """``text``, escaped if the database cannot hold it as it is."""
    if not needs_escaping(text):
        return text
    doubled = text.replace("\\", "\\\\").replace("\x00", "\\x00")
    return doubled.encode("utf-8", "backslashreplace").decode("utf-8")


def bytes_as_text(raw: bytes) -> tuple[str, bool]:
    """``raw`` as text the database can hold, and whether it had to be escaped."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    else:
        if "\x00" not in text:
            return text, False
    doubled = raw.replace(b"\\", b"\\\\").replace(b"\x00", b"\\x00")
    return doubled.decode("utf-8", "backslashreplace"), True


def text_as_bytes(text: str, escaped: bool) -> bytes:
    """The bytes :func:`bytes_as_text` was given."""
    if not escaped:
        return text.encode("utf-8")
    raw: bytes = codecs.escape_decode(text.encode("utf-8"))[0]
    return raw


MAX_DEPTH = 64
"""JSON nested deeper than this is refused: encoding it again could exhaust the stack."""


def escape_json(value: Any, depth: int = 0) -> Any:
    """A JSON value with every key and string the database cannot hold escaped.

    Raises ``ValueError`` for a value nested deeper than :data:`MAX_DEPTH`.
    """
    if depth > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, list):
        return [escape_json(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {escape_text(str(k)): escape_json(v, depth + 1) for k, v in value.items()}
    return value
