"""Who the caller is, against crafted input (issue 11, defects 2 and 5): forwarded addresses
behind a trusted proxy, credentials with NUL bytes or sent as arrays, identifiers longer than
the column the lockout files them under."""

from __future__ import annotations

import hashlib

import pytest

from geninvoices import access
from geninvoices.api.auth import Authenticator
from geninvoices.config import Settings
from geninvoices.db import transaction
from geninvoices.errors import AuthenticationFailed
from tests.frontdoor import test_api_php
from tests.frontdoor.test_api_php import failures, gcv, request

api = test_api_php.api  # the fixture: a credential, and apps built with given settings

PROXY = {"trusted_proxies": ["127.0.0.1"]}


# --- X-Forwarded-For behind a trusted proxy -----------------------------------------------------

@pytest.mark.parametrize("lines, judged", [
    (["127.0.0.1", "203.0.113.7"], "203.0.113.7"),  # the last line is the proxy's own
    (["203.0.113.7", "127.0.0.1"], "203.0.113.7"),  # trusted hops are walked past
    (["127.0.0.1, 203.0.113.7"], "203.0.113.7"),
    (["garbage, 203.0.113.7"], "203.0.113.7"),      # left of the client's hop: never read
    (["203.0.113.7, 127.0.0.1, 127.0.0.1"], "203.0.113.7"),
])
def test_every_forwarded_line_counts_read_from_the_right(api, engine, lines, judged):
    make, auth = api
    before = failures(engine)
    reply = request(make(**PROXY), data=gcv(auth),
                    headers=[("x-forwarded-for", line) for line in lines])
    assert (reply.status_code, reply.json()["message"]) == (403, f"Invalid IP {judged}")
    assert failures(engine) == before


@pytest.mark.parametrize("value, shown", [
    ("203.0.113.9:4711", "203.0.113.9:4711"),
    ("[2001:db8::9]", "[2001:db8::9]"),
    ("unknown", "unknown"),
    ("203.0.113.9,", '""'),
    ("", '""'),
    ("127.0.0.1, 203.0.113.9 , fe80::1%eth0", "fe80::1%eth0"),
    ("198.51.100.1, nonsense", "nonsense"),
])
def test_a_forwarded_value_that_does_not_parse_is_refused(api, engine, value, shown):
    make, auth = api
    app = make(**PROXY, access_key="k-9f2c7e")
    before = failures(engine)
    for extra in ({}, {"accesskey": "k-9f2c7e"}):  # not even the access key lets it by
        reply = request(app, data=gcv(auth, **extra), headers={"x-forwarded-for": value})
        assert (reply.status_code, reply.json()["message"]) == (403, f"Invalid IP {shown}")
    assert failures(engine) == before


def test_forwarded_addresses_that_parse(api, engine):
    make, auth = api
    with transaction(engine) as conn:
        access.add_allowed_ip(conn, "2001:db8::9")
        access.add_allowed_ip(conn, "203.0.113.9")
    app = make(**PROXY)
    for value in ("2001:db8::9", " ::ffff:203.0.113.9 ", "198.51.100.1,203.0.113.9"):
        reply = request(app, data=gcv(auth), headers={"x-forwarded-for": value})
        assert reply.json()["result"] == "success", value


def test_without_a_trusted_proxy_the_header_is_ignored(api):
    make, auth = api
    reply = request(make(), data=gcv(auth), headers={"x-forwarded-for": "unknown"})
    assert reply.json()["result"] == "success"


# --- credentials: NUL bytes, arrays ------------------------------------------------------------

def _authenticator(engine, **settings) -> Authenticator:
    return Authenticator(engine, Settings(database_url="sqlite://", **settings))


def test_a_secret_followed_by_nul_bytes_is_refused(api, engine):
    _, auth = api
    with transaction(engine) as conn:
        access.create_admin(conn, "alice", "pw")
    md5 = hashlib.md5(b"pw").hexdigest()
    door = _authenticator(engine, credential_cache_seconds=0)
    assert door.authenticate(auth, "127.0.0.1").identifier == auth["identifier"]
    assert door.authenticate({"username": "alice", "password": md5}, "127.0.0.1").kind == "admin"
    for params in ({**auth, "secret": auth["secret"] + "\0"},
                   {**auth, "secret": auth["secret"] + "\0\0\0"},
                   {**auth, "identifier": auth["identifier"] + "\0"},
                   {"username": "alice", "password": md5 + "\0"},
                   {"username": "alice\0", "password": md5}):
        with pytest.raises(AuthenticationFailed):
            door.authenticate(params, "127.0.0.1")


def test_a_secret_with_nul_bytes_is_refused_over_http(api):
    make, auth = api
    for body in ({**gcv(auth), "secret": auth["secret"] + "\0"},
                 {**gcv(auth), "identifier": auth["identifier"] + "\0"}):
        assert request(make(), json_body=body).json()["result"] == "error"


@pytest.mark.parametrize("field", ["identifier", "secret", "username", "password"])
def test_a_credential_sent_as_an_array_is_refused(api, field):
    make, auth = api
    right = {"identifier": auth["identifier"], "secret": auth["secret"],
             "username": auth["identifier"], "password": auth["secret"]}[field]
    form = [(k, v) for k, v in gcv(auth).items() if k != field]
    for pairs in ([(f"{field}[]", "wrong"), (f"{field}[]", right)],
                  [(f"{field}[]", right)], [(f"{field}[a]", right)]):
        reply = request(make(), content=_urlencode(form + pairs),
                        headers={"content-type": "application/x-www-form-urlencoded"})
        assert (reply.status_code, reply.json()) == (
            403, {"result": "error", "message": "Authentication Failed"}), pairs
    as_json = request(make(), json_body={**gcv(auth), field: ["wrong", right]})
    assert as_json.json()["message"] == "Authentication Failed"


def _urlencode(pairs) -> bytes:
    from urllib.parse import urlencode
    return urlencode(pairs).encode()


# --- the lockout binds whatever the identifier ---------------------------------------------------

@pytest.mark.parametrize("identifier", ["x" * 300, "y" * 255 + "z", "é" * 200 + "\t"])
def test_an_identifier_longer_than_the_column_is_locked_out(api, engine, identifier):
    make, auth = api
    app = make(lockout_attempts=3)
    for _ in range(6):  # loopback: counted per identifier
        reply = request(app, data=gcv({"identifier": identifier, "secret": "guess"}))
        assert (reply.status_code, reply.json()["message"]) == (403, "Authentication Failed")
    assert failures(engine) == 3
    assert request(app, data=gcv(auth)).json()["result"] == "success"  # others go on
