"""Crafted input from outside (issue 11, defects 3, 4 and 6): deep nesting, lone surrogates and
NUL on every backend, a client that leaves mid-body, forged log lines, and refusals in the
format the caller asked for."""

from __future__ import annotations

import asyncio
import json
import logging
import xml.etree.ElementTree as ET

import pytest

from tests.asgi import call
from tests.frontdoor.test_api_php import api, failures, gcv, request  # noqa: F401 - fixture

NOT_UTF8 = "Invalid request: parameters must be UTF-8 text"
NUL = "Invalid request: parameters must not contain NUL characters"
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


def message(reply) -> str:
    if reply.headers["content-type"].startswith("application/json"):
        return reply.json()["message"]
    if reply.headers["content-type"].startswith("text/xml"):
        return ET.fromstring(reply.text).findtext("message")
    return dict(p.split("=", 1) for p in reply.text.split(";") if p)["message"]


# --- defect 3: no 500 from crafted input -------------------------------------------------------

def test_json_nested_a_thousand_levels_is_refused_not_a_recursion_error(api):
    make, auth = api
    deep = b'{"a":' + b"[" * 1000 + b"]" * 1000 + b"}"  # about 2 KB
    reply = request(make(), content=deep, headers=JSON, params={"responsetype": "json"})
    assert (reply.status_code, reply.json()["message"]) == (
        200, "Request too large: key nesting deeper than 5")


@pytest.mark.parametrize("body", [b'"\\' * 500_000, b'"' * 1_000_000, b'["' + b"a" * 10**6,
                                  b"[" * 10**6, b'{"a":' + b"[{" * 400_000])
def test_a_mib_of_quotes_or_brackets_is_refused(api, body):
    """A depth pre-scan that skipped strings by regex took quadratic time on these (found
    while fuzzing it): json.loads itself refuses what is too deep."""
    make, auth = api
    reply = request(make(max_body_bytes=2 * 1024 * 1024), content=body, headers=JSON,
                    params={"responsetype": "json"})
    assert reply.json()["result"] == "error"


def test_brackets_inside_json_strings_are_not_nesting(api):
    make, auth = api
    body = json.dumps(gcv(auth, note='[[[[[[[[{{{{{{\\"]]', deep={"a": {"b": ["c"]}}))
    reply = request(make(), content=body.encode(), headers=JSON)
    assert reply.json()["value"] == "Acme"


SURROGATE_FIELDS = ["action", "identifier", "secret", "setting", "username", "accesskey",
                    "responsetype", "any"]


@pytest.mark.parametrize("field", SURROGATE_FIELDS)
@pytest.mark.parametrize("fmt", ["json", "xml", "nvp"])
def test_a_lone_surrogate_anywhere_is_not_utf8_on_every_backend(api, engine, field, fmt):
    make, auth = api
    body = json.dumps({**gcv(auth), "responsetype": fmt}, ensure_ascii=True)[:-1]
    body += f', "{field}": "x\\udc00y"}}'  # json.loads accepts it; no database binds it
    before = failures(engine)
    reply = request(make(), content=body.encode(), headers=JSON, params={"responsetype": fmt})
    assert (reply.status_code, message(reply)) == (200, NOT_UTF8)
    assert failures(engine) == before


def test_a_lone_surrogate_in_a_key_or_nested_value(api):
    make, auth = api
    for extra in ('"k\\ud800": "1"', '"serviceids": ["1", "\\udfff"]', '"a": {"\\udc00": "1"}'):
        body = json.dumps(gcv(auth))[:-1] + ", " + extra + "}"
        assert request(make(), content=body.encode(), headers=JSON).json()["message"] == \
            NOT_UTF8


@pytest.mark.parametrize("field", ["action", "identifier", "secret", "setting", "k[x]"])
def test_nul_is_refused_the_same_on_every_backend(api, engine, field):
    make, auth = api
    before = failures(engine)
    form = request(make(), data={**gcv(auth), field: "a\0b"})
    as_json = request(make(), content=json.dumps({**gcv(auth), field: "a\0b"}).encode(),
                      headers=JSON)
    for reply in (form, as_json):
        assert (reply.status_code, reply.json()["message"]) == (200, NUL)
    assert failures(engine) == before


def test_encoded_surrogates_in_a_form_are_not_utf8(api):
    make, auth = api
    reply = request(make(), content=b"setting=%ED%B0%80", headers=FORM, params=gcv(auth))
    assert reply.json()["message"] == NOT_UTF8


def test_a_client_leaving_mid_body_logs_one_line_and_no_traceback(api, caplog):
    make, _ = api
    app = make()
    caplog.set_level(logging.DEBUG)
    sent: list[dict] = []
    events = iter([{"type": "http.request", "body": b"action=GetConfig", "more_body": True},
                   {"type": "http.disconnect"}])

    async def receive():
        return next(events)

    async def send(event):
        sent.append(event)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/includes/api.php", "raw_path":
             b"/includes/api.php", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/x-www-form-urlencoded"),
                         (b"content-length", b"100")],
             "client": ("127.0.0.1", 5), "server": ("api", 80)}
    asyncio.run(app(scope, receive, send))
    server_side = [r for r in caplog.records if r.name.startswith(("geninvoices", "uvicorn"))]
    assert not [r for r in server_side if r.exc_info or r.levelno >= logging.WARNING]
    assert [r.name for r in server_side] == ["geninvoices.access"]
    assert "\n" not in server_side[0].getMessage()


def test_raw_8_bit_bytes_in_the_query_string_are_not_utf8_not_a_500(api, caplog):
    """uvicorn hands a request line's bytes over as they came; starlette's URL would not
    decode them (found by the HTTP fuzzer)."""
    make, auth = api
    caplog.set_level(logging.INFO)
    reply = asyncio.run(call(make(), "GET", b"responsetype=json&ident\xc3ifier=x", b"", [],
                             ("127.0.0.1", 5)))
    assert (reply.status_code, json.loads(reply.text)["message"]) == (200, NOT_UTF8)
    line = access_lines(caplog)[0]
    assert line.startswith("api action=- ") and "method=GET status=200" in line


@pytest.mark.parametrize("length", ["\u00b2", "\u00b9\u00b2", "-1", "1e3", "99999999999999999999"])
def test_a_content_length_that_is_no_number_is_not_a_500(api, length):
    """'²' arrives as the byte 0xb2, which a server decodes as latin-1 (found by the fuzzer)."""
    make, auth = api
    reply = asyncio.run(call(make(), "POST", b"responsetype=json", b"action=x",
                             [("content-length", length), ("content-type", FORM[
                                 "content-type"])], ("127.0.0.1", 5)))
    assert reply.status_code in (200, 403), reply.text
    assert json.loads(reply.text)["result"] == "error"


# --- defect 4: log injection -------------------------------------------------------------------

def access_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "geninvoices.access"]


def test_a_forged_line_in_the_action_stays_inside_its_field(api, caplog):
    make, auth = api
    caplog.set_level(logging.INFO)
    forged = "X\nPOST /includes/api.php 200 action=geninvoices caller=admin client=127.0.0.1"
    request(make(), content=b"action=" + forged.replace("\n", "%0A").encode() +
            b"%0D%0A%E2%80%A8%C2%85end", headers=FORM)
    [line] = access_lines(caplog)
    assert len(line.splitlines()) == 1 and "\r" not in line
    assert 'action="x\\npost /includes/api.php 200 action=geninvoices' in line


def test_a_hostile_peer_address_is_escaped_in_the_log(api, caplog):
    make, auth = api
    caplog.set_level(logging.INFO)
    request(make(), data=gcv(auth), client=("203.0.113.1\nGET / 200 action=x", 1))
    [line] = access_lines(caplog)
    assert len(line.splitlines()) == 1
    assert 'client="203.0.113.1\\nGET / 200 action=x"' in line


def test_a_long_action_is_cut_short_in_the_log(api, caplog):
    make, auth = api
    caplog.set_level(logging.INFO)
    request(make(), data=gcv(auth, action="é" * 5000))
    [line] = access_lines(caplog)
    assert 'action="' + "\\u00e9" * 64 + '..." ' in line and len(line) < 600


def test_plain_values_are_logged_as_they_are(api, caplog):
    make, auth = api
    caplog.set_level(logging.INFO)
    request(make(), data=gcv(auth), client=("::1", 1))
    [line] = access_lines(caplog)
    assert f"action=getconfigurationvalue caller={auth['identifier']} client=::1 " in line


# --- defect 6: refusals in the format that was asked for ---------------------------------------

def body_with(pairs: dict, tail: bytes = b"") -> bytes:
    from urllib.parse import urlencode
    return urlencode(pairs).encode() + tail


@pytest.mark.parametrize("settings, content, headers, expected", [
    ({"max_key_depth": 2}, body_with({"responsetype": "json", "a[b][c][d]": "1"}), FORM,
     "Request too large: key nesting deeper than 2 in a"),
    ({"max_key_depth": 2}, b'{"responsetype": "json", "a": [[[["1"]]]]}', JSON,
     "Request too large: key nesting deeper than 2 in a"),
    ({"max_params": 5}, body_with({"responsetype": "json", **{f"p{i}": "1" for i in range(9)}}),
     FORM, "Request too large: more than 5 parameters"),
    ({"max_params": 5}, json.dumps({"responsetype": "json",
                                    **{f"p{i}": "1" for i in range(9)}}).encode(), JSON,
     "Request too large: more than 5 parameters"),
    ({"max_array_elements": 2}, body_with({"responsetype": "json", "ids[]": "1"}) +
     b"&ids[]=2&ids[]=3", FORM, "Request too large: more than 2 elements in ids"),
    ({}, b"responsetype=json&setting=%ff", FORM, NOT_UTF8),
    ({}, b"setting=\xff\xfe&responsetype=JSON", FORM, NOT_UTF8),
    ({}, b'{"setting": "\xff", "responsetype": "json"}', JSON, NOT_UTF8),
    ({"max_params": 2}, b"".join(
        b'--b\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % pair
        for pair in [(b"responsetype", b"json"), (b"a", b"1"), (b"b", b"2"), (b"c", b"3")]
    ) + b"--b--\r\n", {"content-type": "multipart/form-data; boundary=b"},
     "Request too large: more than 2 parameters"),
])
def test_refusals_answer_in_json_when_the_body_asked_for_it(api, settings, content, headers,
                                                            expected):
    make, _ = api
    reply = request(make(**settings), content=content, headers=headers)
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.json()["message"] == expected


def test_a_streamed_body_over_the_limit_answers_in_the_format_read_so_far(api):
    make, _ = api

    async def chunks():  # no Content-Length: refused while reading
        yield b"responsetype=json&action=GetConfigurationValue&pad="
        for _ in range(10):
            yield b"x" * 50
    reply = request(make(max_body_bytes=200), content=chunks(), headers=FORM)
    assert reply.json()["message"] == "Request too large: body over 200 bytes"


def test_a_query_string_over_a_limit_still_names_its_format(api):
    make, _ = api
    query = "responsetype=json&" + "&".join(f"p{i}=1" for i in range(9))
    reply = request(make(max_params=5), params=query)
    assert reply.json()["message"] == "Request too large: more than 5 parameters"
    nvp = request(make(max_params=5), params=query.replace("json", "nvp"))
    assert nvp.text == "result=error;message=Request too large: more than 5 parameters;"
