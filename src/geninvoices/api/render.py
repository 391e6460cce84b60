"""The three response formats of rules §3: json, xml and the deprecated nvp.

A result is a flat or nested dict of str/int/Decimal/bool values. In XML a list is written as
repeated elements named by its key, so ``{"invoices": {"invoice": [a, b]}}`` becomes
``<invoices><invoice>a</invoice><invoice>b</invoice></invoices>``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from xml.sax.saxutils import escape

from ..errors import NvpCannotExpress

WHMCS_VERSION = "8.13.1"
FORMATS = ("json", "xml", "nvp")
CONTENT_TYPES = {"json": "application/json; charset=utf-8",
                 "xml": "text/xml; charset=utf-8",
                 "nvp": "text/plain; charset=utf-8"}

# Characters XML 1.0 does not allow anywhere, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def pick_format(requested: object, default: str) -> str:
    value = requested[-1] if isinstance(requested, list) and requested else requested
    value = value.strip().lower() if isinstance(value, str) else ""
    return value if value in FORMATS else default


def render(fmt: str, body: dict, action: str) -> str:
    if fmt == "json":
        return json.dumps(body, default=_json_default, ensure_ascii=False,
                          separators=(",", ":"))
    if fmt == "nvp":
        return to_nvp(body)
    return to_xml(body, action)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot render {type(value).__name__}")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_xml(body: dict, action: str) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<whmcsapi version="{WHMCS_VERSION}">',
             f"<action>{_xml_text(action.lower())}</action>"]
    lines.extend(_xml_items(body))
    lines.append("</whmcsapi>")
    return "\n".join(lines) + "\n"


def _xml_items(node: dict) -> list[str]:
    out = []
    for key, value in node.items():
        name = _xml_name(key)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, dict):
                out.append(f"<{name}>" + "".join(_xml_items(item)) + f"</{name}>")
            else:
                out.append(f"<{name}>{_xml_text(_text(item))}</{name}>")
    return out


def _xml_text(text: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", text))


def _xml_name(key: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(key))
    return name if re.match(r"[A-Za-z_]", name) else "_" + name


def to_nvp(body: dict) -> str:
    if any(isinstance(v, (dict, list)) for v in body.values()):
        raise NvpCannotExpress()
    return "".join(f"{_nvp_escape(str(k))}={_nvp_escape(_text(v))};" for k, v in body.items())


def _nvp_escape(text: str) -> str:
    return text.replace("%", "%25").replace(";", "%3B").replace("=", "%3D")
