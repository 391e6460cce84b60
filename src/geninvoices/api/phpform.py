"""Request parameters as PHP's ``$_REQUEST`` sees them (rules §1).

The query string is overlaid by the body, the body winning per top-level key. Keys carry
PHP's bracket syntax: ``a[0]=1`` and ``a[x][y]=1`` build dicts, ``a[]=1`` appends to a list.
Our one departure from PHP: a plain key sent twice (``a=1&a=2``) keeps both values as a list
(PHP keeps the last); a scalar parameter then reads the last one, an id array reads all.

A value is ``str``, ``list`` or ``dict``. Limits are checked here, before any action sees
the parameters: the number of pairs, the elements of one array and the key depth.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..errors import NotUtf8, NulCharacter, RequestError, RequestTooLarge

Params = dict[str, object]

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


@dataclass(frozen=True)
class Limits:
    max_params: int = 1000
    max_array_elements: int = 10_000
    max_key_depth: int = 5


# A lone surrogate (JSON's "\udc00") is no UTF-8 text: no database binds it and no reply can
# encode it. NUL is refused on every backend alike, as PostgreSQL cannot store it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def check_text(text: str) -> str:
    if _SURROGATE.search(text):
        raise NotUtf8()
    if "\0" in text:
        raise NulCharacter()
    return text


def parse_urlencoded(raw: bytes, limits: Limits) -> list[tuple[str, str]]:
    try:
        text = raw.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, errors="strict",
                         max_num_fields=limits.max_params)
    except UnicodeDecodeError:
        raise NotUtf8() from None
    except ValueError:
        raise RequestTooLarge(f"more than {limits.max_params} parameters") from None


def split_key(key: str, limits: Limits) -> list[str] | None:
    """``a[b][]`` -> ``["a", "b", ""]``; None for a key PHP would drop."""
    head, bracket, rest = key.partition("[")
    if not head:
        return None
    if not bracket:
        return [head]
    rest = "[" + rest
    parts = _BRACKETS.findall(rest)
    consumed = "".join(f"[{p}]" for p in parts)
    if not rest.startswith(consumed) or not parts:
        return [key]  # not well-formed brackets: PHP keeps such a key flat, and so do we
    if len(parts) > limits.max_key_depth:
        raise RequestTooLarge(f"key nesting deeper than {limits.max_key_depth} in {head}")
    return [head, *parts]


def build(pairs: list[tuple[str, object]], limits: Limits) -> Params:
    if len(pairs) > limits.max_params:
        raise RequestTooLarge(f"more than {limits.max_params} parameters")
    params: Params = {}
    for key, value in pairs:
        check_text(key)
        if isinstance(value, str):
            check_text(value)
        path = split_key(key, limits)
        if path is not None:
            _assign(params, path, value, limits)
    return params


def _assign(node: dict, path: list[str], value: object, limits: Limits) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        old = node.get(head)
        if isinstance(old, str) and isinstance(value, str):
            node[head] = [old]
            _append(node[head], value, head, limits)  # a repeat is an array: its limit holds
        elif isinstance(old, list) and _plain_repeats(old) and isinstance(value, str):
            _append(old, value, head, limits)
        else:
            node[head] = value
        return
    child = node.get(head)
    if rest[0] == "":
        if not isinstance(child, list):
            child = node[head] = []
        if len(rest) == 1:
            _append(child, value, head, limits)
        else:
            element: dict = {}
            _append(child, element, head, limits)
            _assign(element, rest[1:], value, limits)
        return
    if isinstance(child, list):
        child = {str(i): v for i, v in enumerate(child)}
        node[head] = child
    elif not isinstance(child, dict):
        child = node[head] = {}
    if rest[0] not in child and len(child) >= limits.max_array_elements:
        raise RequestTooLarge(f"more than {limits.max_array_elements} elements in {head}")
    _assign(child, rest, value, limits)


def _plain_repeats(values: list) -> bool:
    return all(isinstance(v, str) for v in values)


def _append(target: list, value: object, head: str, limits: Limits) -> None:
    if len(target) >= limits.max_array_elements:
        raise RequestTooLarge(f"more than {limits.max_array_elements} elements in {head}")
    target.append(value)


def from_json(raw: bytes, limits: Limits) -> Params:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotUtf8() from None
    except RecursionError:
        # json's C scanner gives up at the interpreter's recursion limit (a 2 KB body of
        # brackets) and unwinds cleanly; shallower nesting is refused below, by level. A
        # pre-scan for depth in Python would cost more than the parse (quadratic, or a
        # second per MiB of quotes, on the event loop).
        raise RequestTooLarge(f"key nesting deeper than {limits.max_key_depth}") from None
    except ValueError:
        raise RequestError("Invalid request: the JSON body is not valid JSON") from None
    if not isinstance(data, dict):
        raise RequestError("Invalid request: the JSON body must be an object")
    count = [0]
    params = {check_text(k): _json_value(v, k, 0, limits, count) for k, v in data.items()}
    return params


def _json_value(value: object, head: str, depth: int, limits: Limits, count: list[int]):
    count[0] += 1
    if count[0] > limits.max_params:
        raise RequestTooLarge(f"more than {limits.max_params} parameters")
    if isinstance(value, (dict, list)):
        if depth >= limits.max_key_depth:
            raise RequestTooLarge(f"key nesting deeper than {limits.max_key_depth} in {head}")
        if len(value) > limits.max_array_elements:
            raise RequestTooLarge(f"more than {limits.max_array_elements} elements in {head}")
        if isinstance(value, dict):
            return {check_text(k): _json_value(v, head, depth + 1, limits, count)
                    for k, v in value.items()}
        return [_json_value(v, head, depth + 1, limits, count) for v in value]
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return check_text(value) if isinstance(value, str) else str(value)


# responsetype as it is spelled in a form, JSON or multipart body or a query string
_RESPONSETYPE = re.compile(
    rb'(?:(?:^|[&?])responsetype=|"responsetype"\s*:\s*"|name="responsetype"\r\n\r\n)'
    rb"\s*(json|xml|nvp)\b", re.I)


def sniff_responsetype(*raws: bytes) -> Params:
    """``{"responsetype": ...}`` as far as it can be read from bytes that failed to parse
    (over a limit, not UTF-8), so the refusal comes in the format the caller asked for.
    The last one found wins, as the body wins over the query string."""
    found: Params = {}
    for raw in raws:
        for match in _RESPONSETYPE.finditer(raw):
            found = {"responsetype": match.group(1).decode("ascii")}
    return found


def overlay(query: Params, body: Params) -> Params:
    """PHP's ``$_REQUEST``: the body's value replaces the query's, key by key."""
    merged = dict(query)
    merged.update(body)
    return merged
