"""A seeded generator of hostile requests to /includes/api.php: methods, query strings, bodies
in every content type (and lying ones), broken encodings, nesting, array forms, odd values,
forwarded-for headers and credentials good, bad and missing. Pure: it only builds requests."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from urllib.parse import quote

ACTIONS = ["GenInvoices", "GetInvoices", "GetInvoice", "GetConfigurationValue",
           "AddInvoicePayment", "GetClientsProducts", "UpdateClientProduct", "UpdateClientAddon",
           "AddCancelRequest"]
PARAMS = ["clientid", "serviceids", "domainids", "addonids", "noemails", "invoiceid",
          "limitstart", "limitnum", "userid", "status", "orderby", "order", "setting",
          "transid", "gateway", "amount", "fees", "date", "noemail", "responsetype",
          "serviceid", "nextduedate", "billingcycle", "recurringamount", "promoid", "unset",
          "id", "recurring", "type"]
ODD_TEXT = ["", " ", "0", "-1", "1.0", "1e3", "2147483647", "2147483648", "99999999999999999999",
            "０１", "abc", "null", "true", "[]", "{}", "1,2,,3", " 7 ", "\t1", "NaN", "∞",
            "2026-02-30", "0000-00-00", "2026-01-01 25:61:61", "9999999999999.99", "0.001",
            "<x>&amp;]]>", "a;b=c%d", "line\nbreak", "\r\n\r\n", "'; DROP TABLE tblinvoices;--",
            "\u202e", "\u2028", "\x85", "é" * 300, "x" * 5000, "😀", "\ufeff", "\x7f"]
XFF = ["203.0.113.9", "127.0.0.1", "::1", "203.0.113.9, 127.0.0.1", "unknown", "",
       "203.0.113.9:4711", "[2001:db8::9]", "1.2.3.4,", ",,,", "999.1.1.1", "::ffff:127.0.0.1",
       "127.0.0.1\t", "a" * 300, "198.51.100.1, 10.0.0.1, 127.0.0.1"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "multipart/form-data",
                 "text/plain", None, "application/json; charset=latin-1",
                 "APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8", "application/xml",
                 "multipart/form-data; boundary=", "application/x-www-form-urlencoded;;;",
                 "\u00e9/\u00e9"]
LENGTHS = ["", "-1", "0", "1", "abc", "1e3", "99999999999999999999", "\u00b2", "\uff11\uff12",
           " 5", "5, 5"]
CLIENTS = [("127.0.0.1", 1), ("::1", 2), ("::ffff:127.0.0.1", 3), ("203.0.113.7", 4),
           ("198.51.100.2", 5)]


@dataclass
class Hostile:
    """One request, and what the reply must be in when that is certain."""
    method: str
    query: bytes = b""
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    client: tuple[str, int] = ("127.0.0.1", 1)
    expect_format: str | None = None  # set when only a clean query string names it
    case: str = ""


class Generator:
    def __init__(self, seed: int, credentials: list[dict[str, str]], ids: dict[str, list[int]]):
        self.rng = random.Random(seed)
        self.credentials = credentials
        self.ids = ids  # "client", "service", "invoice": the world's own ids, and some unknown

    def some(self, kind: str) -> str:
        return str(self.rng.choice(self.ids[kind] + [max(self.ids[kind]) + 1000]))

    # --- values ---------------------------------------------------------------------------

    def text(self) -> str:
        r = self.rng
        pick = r.random()
        if pick < 0.5:
            return r.choice(ODD_TEXT)
        if pick < 0.7:
            return str(r.randint(0, 40))
        if pick < 0.97:
            return "".join(chr(r.choice([r.randint(32, 126), r.randint(0, 0x2FFF),
                                         r.randint(0xE000, 0x10FFFF)]))
                           for _ in range(r.randint(0, 12)))
        return r.choice(["\0", "x\0", "\udc00", "a\ud800b"])  # refused at parse time

    def value(self, depth: int = 0):
        r = self.rng.random()
        if depth > 6 or r < 0.6:
            return self.text()
        if r < 0.8:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        return {self.key(): self.value(depth + 1) for _ in range(self.rng.randint(0, 4))}

    def key(self) -> str:
        r = self.rng
        return r.choice(PARAMS + ["", "0", "1", "a[", "]", "[x]", "k]k", "x" * 200, "é"])

    def sane_params(self) -> dict:
        """A call a real client could make, so the actions' own paths are fuzzed too."""
        r = self.rng
        action = r.choice(ACTIONS)
        good = {"GenInvoices": {"noemails": "1", "clientid": self.some("client"),
                                "serviceids[]": self.some("service")},
                "GetInvoices": {"limitnum": str(r.randint(0, 5)), "orderby": "total",
                                "order": r.choice(["asc", "desc"]), "status": "Unpaid"},
                "GetInvoice": {"invoiceid": self.some("invoice")},
                "GetConfigurationValue": {"setting": r.choice(["CompanyName", "Odd\x01"])},
                "AddInvoicePayment": {"invoiceid": self.some("invoice"), "amount": "1.00",
                                      "transid": f"t{r.randint(1, 10**6)}", "gateway": "bank"},
                "GetClientsProducts": {"clientid": self.some("client"), "limitnum": "3"},
                "UpdateClientProduct": {"serviceid": self.some("service"),
                                        "recurringamount": "12.34", "billingcycle": "annually",
                                        "nextduedate": r.choice(["2026-02-01", "2026-02-29"])},
                "UpdateClientAddon": {"id": self.some("service"), "recurring": "1.00"},
                "AddCancelRequest": {"serviceid": self.some("service"), "type": "Immediate"}}
        params = {"action": action, **self.rng.choice(self.credentials)}
        params.update({k: v for k, v in good[action].items() if r.random() < 0.7})
        if r.random() < 0.3:
            params[r.choice(PARAMS)] = self.text()
        return params

    def params(self) -> dict:
        r = self.rng
        self.sane = r.random() < 0.5
        if self.sane:
            return self.sane_params()
        params: dict = {}
        action = r.choice(ACTIONS + ["", "Nope", "geninvoices", " GETINVOICES ", "Get\nInvoices",
                                     "DeleteClient", "x" * 1000])
        if r.random() < 0.9:
            params["action"] = action if r.random() < 0.8 else [action, self.text()]
        cred = self.credential()
        params.update(cred)
        for _ in range(r.randint(0, 6)):
            params[r.choice(PARAMS) if r.random() < 0.8 else self.key()] = self.value()
        return params

    def credential(self) -> dict:
        r = self.rng
        good = r.choice(self.credentials)
        pick = r.random()
        if pick < 0.55:
            return dict(good)
        if pick < 0.6:
            return {"username": good["identifier"], "password": good["secret"]}
        if pick < 0.63:  # a wrong secret: each costs a slow hash, so they are few
            return {"identifier": good["identifier"], "secret": good["secret"] + "x"}
        if pick < 0.64:
            return {"identifier": good["identifier"], "secret": [good["secret"], "x"]}
        if pick < 0.8:
            return {"identifier": good["identifier"]}
        return {}

    # --- encodings --------------------------------------------------------------------------

    def form(self, params: dict) -> bytes:
        pairs = list(_php_pairs(params))
        self.rng.shuffle(pairs) if self.rng.random() < 0.1 else None
        return "&".join(f"{quote(k, safe='[]')}={quote(v, safe='', errors='surrogatepass')}"
                        for k, v in pairs).encode("utf-8", "surrogatepass")

    def as_json(self, params: dict) -> bytes:
        r = self.rng.random()
        if r < 0.1:  # deep nesting that a recursive parser would choke on
            depth = self.rng.choice([6, 50, 1000, 5000])
            return b'{"a":' + b"[" * depth + b"]" * depth + b"}"
        if r < 0.15:
            return self.rng.choice([b"[1,2]", b"null", b"1e999999", b'{"a":1' + b"9" * 5000 + b"}",
                                    b'{"a":"\\ud800"}', b'{"a":"\\u0000"}', b"{", b""])
        return json.dumps(params, ensure_ascii=self.rng.random() < 0.5).encode(
            "utf-8", "surrogatepass")

    def multipart(self, params: dict) -> tuple[bytes, str]:
        boundary = "b0undary"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                 for k, v in _php_pairs(params)]
        text = "".join(parts) + f"--{boundary}--\r\n"
        return text.encode("utf-8", "surrogatepass"), f"multipart/form-data; boundary={boundary}"

    def mutate(self, raw: bytes) -> bytes:
        r, data = self.rng, bytearray(raw)
        for _ in range(r.randint(1, 4)):
            op = r.random()
            at = r.randint(0, len(data))
            if op < 0.3 and data:
                del data[at:at + r.randint(1, 8)]
            elif op < 0.6:
                data[at:at] = r.choice([b"\xff", b"\xc3", b"\xed\xb0\x80", b"\0", b"%ff", b"%00",
                                        b"%ED%B0%80", b"&", b"=", b"[", b"]", b"[][]", b"%",
                                        b'"', b"\\", b"{", b"\r\n"])
            else:
                data[at:at] = b"a[b][c][d][e][f][g]=1&" * r.randint(1, 3)
        return bytes(data)

    # --- one request ------------------------------------------------------------------------

    def request(self) -> Hostile:
        r = self.rng
        method = r.choices(["POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"],
                           [70, 20, 2, 2, 2, 2, 2])[0]
        params = self.params()
        fmt = r.choice(["json", "xml", "nvp", None, "JSON", "html", ["xml", "json"]])
        share = 1.0 if method in ("GET", "HEAD") else 0.3  # a GET mostly has no body
        in_query = {k: params.pop(k) for k in list(params) if r.random() < share}
        req = Hostile(method, client=r.choice(CLIENTS if r.random() < 0.5 else CLIENTS[:3]))
        req.query, req.case = self.query(in_query, fmt), method
        kind = r.choice(CONTENT_TYPES[:3] if self.sane else CONTENT_TYPES)
        if method not in ("GET", "HEAD") or r.random() < 0.2:
            req.body, kind, body_case = self.body(params, kind)
            req.case += f" {body_case}"
        if kind is not None:
            req.headers.append(("content-type", kind))
        for _ in range(r.choices([0, 1, 2], [70, 20, 10])[0]):
            req.headers.append(("x-forwarded-for", r.choice(XFF)))
        if not self.sane and r.random() < 0.05:  # a length that lies or does not parse
            req.headers.append(("content-length", r.choice(LENGTHS)))
        named = fmt.lower() if isinstance(fmt, str) else None
        if named in ("json", "xml", "nvp") and self._clean_query and method in ("GET", "POST") \
                and b"responsetype" not in req.body.lower():
            req.expect_format = named  # nothing else names a format: this one must hold
        return req

    def query(self, params: dict, fmt) -> bytes:
        self._clean_query = self.sane or self.rng.random() < 0.7
        if fmt is not None:
            params["responsetype"] = fmt
        raw = self.form(params)
        return raw if self._clean_query else self.mutate(raw)

    def body(self, params: dict, kind: str | None) -> tuple[bytes, str | None, str]:
        r = self.rng
        base = (kind or "").split(";")[0].strip().lower()
        if base == "application/json":
            raw, case = self.as_json(params), "json"
        elif kind == "multipart/form-data":
            raw, kind = self.multipart(params)
            case = "multipart"
        else:
            raw, case = self.form(params), "form"
        if self.sane:  # every wrong secret costs a slow hash: keep real calls intact
            return raw, kind, f"{base or 'none'}:{case}"
        if r.random() < 0.4:
            raw, case = self.mutate(raw), case + "-mutated"
        if r.random() < 0.05:
            raw, case = raw + b"&pad=" + b"x" * r.choice([70_000, 200_000]), case + "-huge"
        return raw, kind, f"{base or 'none'}:{case}"


def _php_pairs(params: dict, prefix: str = ""):
    """(key, value) pairs as PHP's http_build_query spells nested arrays."""
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            yield from _php_pairs(value, name)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, (dict, list)):
                    yield from _php_pairs({"": item} if isinstance(item, list) else item,
                                          name + "[]")
                else:
                    yield name + "[]", item
        else:
            yield name, str(value)
