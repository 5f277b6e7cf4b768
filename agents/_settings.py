"""Keyword settings shared by several constructors: one TypedDict, one check of the names.

A constructor that takes ``**settings: Unpack[SomeSettings]`` (a ``TypedDict``) lets mypy check
the keywords at the call; :func:`resolve` checks them at run time, so a misspelt keyword is
refused by name as Python refuses it for an explicit signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def resolve(
    name: str, given: Mapping[str, Any], settings: Any, defaults: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``given`` over ``defaults``; a keyword that ``settings`` (a TypedDict) lacks is refused.

    Raises:
        TypeError: ``"<name>() got an unexpected keyword argument 'x'"`` naming every unknown one.
    """
    unknown = sorted(set(given) - set(settings.__annotations__))
    if len(unknown) == 1:
        raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}")
    if unknown:
        listed = ", ".join(repr(k) for k in unknown)
        raise TypeError(f"{name}() got unexpected keyword arguments {listed}")
    return {**(defaults or {}), **given}
