"""Validation of ids that callers pass as strings, so a typo is a clear error rather than a database exception."""

from __future__ import annotations

import uuid

from aurora_mcp.errors import InvalidInput


def parse_uuid(value: str, *, field: str = "id") -> str:
    """Return the canonical form of a UUID string.

    Raises:
        InvalidInput: when `value` is not a UUID, naming the field.
    """
    try:
        return str(uuid.UUID(str(value).strip()))
    except (ValueError, AttributeError):
        raise InvalidInput(
            f"{field} must be a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e, got {value!r}"
        ) from None
