"""Pluggable code validators: schemes name them, this registry runs them (add one with `@validator`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from supervision_schemas.identifiers import validate_region_code, validate_uscc

Validator = Callable[[str, dict[str, Any]], str | None]
"""(code, scheme as dict) -> an error message, or None when the code passes."""

VALIDATORS: dict[str, Validator] = {}


def validator(name: str) -> Callable[[Validator], Validator]:
    def register(fn: Validator) -> Validator:
        VALIDATORS[name] = fn
        return fn

    return register


@validator("digits")
def _digits(code: str, scheme: dict[str, Any]) -> str | None:
    return None if code.isascii() and code.isdigit() else "must consist of digits only"


@validator("length")
def _length(code: str, scheme: dict[str, Any]) -> str | None:
    lo, hi = scheme["min_length"], scheme["max_length"]
    if lo <= len(code) <= hi:
        return None
    return f"must be {lo} characters long" if lo == hi else f"must be {lo} to {hi} characters long"


@lru_cache(maxsize=8192)
def _region_error(value: str) -> str | None:
    try:
        validate_region_code(value)
    except ValueError as exc:
        return str(exc)
    return None


@validator("region_segment")
def _region_segment(code: str, scheme: dict[str, Any]) -> str | None:
    offset = 0
    for seg in scheme["segments"]:
        if seg["source"] == "region_code":
            error = _region_error(code[offset : offset + seg["length"]])
            return f"segment {seg['name']!r}: {error}" if error else None
        offset += seg["length"]
    return None


@validator("uscc_prefix")
def _uscc_prefix(code: str, scheme: dict[str, Any]) -> str | None:
    try:
        validate_uscc(code[:18])
    except ValueError as exc:
        return f"characters 1-18: {exc}"
    return None


@validator("level_digit")
def _level_digit(code: str, scheme: dict[str, Any]) -> str | None:
    return None if len(code) > 18 and code[18] in "12345" else "character 19 must be a level digit 1-5"


def run(code: str, scheme: dict[str, Any]) -> list[str]:
    """Every error the scheme's validators find (unknown validator names are errors too)."""
    errors = []
    for name in scheme["validators"]:
        fn = VALIDATORS.get(name)
        if fn is None:
            errors.append(f"unknown validator {name!r}")
        elif (message := fn(code, scheme)) is not None:
            errors.append(message)
    return errors


def prefix_and_sequence(code: str, scheme: dict[str, Any]) -> tuple[str, int]:
    """The part of a code before its innermost sequence segment, and that sequence."""
    offset, found = 0, (code, 0)
    for seg in scheme["segments"]:
        part = code[offset : offset + seg["length"]]
        if seg["source"] in ("sequence", "sub_sequence") and part.isdigit() and int(part) > 0:
            found = (code[:offset], int(part))
        offset += seg["length"]
    return found
