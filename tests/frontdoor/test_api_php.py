"""/includes/api.php end to end (rules §1 to §3): every error row, formats, parsing, access."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from geninvoices import access, clock
from geninvoices.app import create_app
from geninvoices.config import Settings
from geninvoices.db import make_engine, transaction
from geninvoices.models import own
from geninvoices.models.whmcs import tbladmins, tblconfiguration

LOCAL = ("127.0.0.1", 40000)
REMOTE = ("203.0.113.7", 40000)


def request(app, *, data=None, content=None, headers=None, params=None, method="POST",
            client=LOCAL, files=None, json_body=None):
    async def go():
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            return await http.request(method, "/includes/api.php", data=data, content=content,
                                      headers=headers, params=params, files=files,
                                      json=json_body)
    return asyncio.run(go())


@pytest.fixture
def api(engine):
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=None)
        now = dt.datetime(2026, 1, 1)
        conn.execute(insert(tblconfiguration).values(setting="CompanyName", value="Acme",
                                                     created_at=now, updated_at=now))

    def make(**settings):
        return create_app(Settings(database_url="sqlite://", **settings), engine)
    return make, {"identifier": ident, "secret": secret}


def gcv(auth, **extra):
    return {"action": "GetConfigurationValue", "setting": "CompanyName", "responsetype": "json",
            **auth, **extra}


def failures(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(own.auth_failures)).scalar()


# --- the error table ---------------------------------------------------------------------------

def test_success(api):
    make, auth = api
    reply = request(make(), data=gcv(auth))
    assert reply.status_code == 200
    assert reply.json() == {"result": "success", "setting": "CompanyName", "value": "Acme"}
    assert reply.headers["content-type"] == "application/json; charset=utf-8"


def test_address_not_allowed(api):
    make, auth = api
    reply = request(make(), data=gcv(auth), client=REMOTE)
    assert (reply.status_code, reply.json()["message"]) == (403, "Invalid IP 203.0.113.7")


@pytest.mark.parametrize("creds", [{}, {"identifier": "x"}, {"secret": "y"},
                                   {"identifier": "unknown", "secret": "y"}, "wrong"])
def test_authentication_failed(api, creds):
    make, auth = api
    if creds == "wrong":
        creds = {**auth, "secret": "not-it"}
    reply = request(make(), data={"action": "GetConfigurationValue", "setting": "CompanyName",
                                  "responsetype": "json", **creds})
    assert (reply.status_code, reply.json()) == (
        403, {"result": "error", "message": "Authentication Failed"})


def test_revoked_credential_fails_at_once_without_cache(api, engine):
    make, auth = api
    app = make(credential_cache_seconds=0)
    assert request(app, data=gcv(auth)).status_code == 200
    with transaction(engine) as conn:
        access.revoke_credential(conn, auth["identifier"])
    assert request(app, data=gcv(auth)).status_code == 403


def test_revoked_credential_stops_within_the_cache_bound(api, engine):
    make, auth = api
    app = make(credential_cache_seconds=1)
    assert request(app, data=gcv(auth)).status_code == 200
    with transaction(engine) as conn:
        access.revoke_credential(conn, auth["identifier"])
    time.sleep(1.5)
    assert request(app, data=gcv(auth)).status_code == 403


def test_a_cached_caller_reads_current_values_and_meets_the_lockout_at_once(api, engine):
    """The cache spares only the secret's check: the read, the allow-list and the lockout
    are asked of the database on every call, in the same transaction as the read."""
    make, auth = api
    with transaction(engine) as conn:
        access.add_allowed_ip(conn, REMOTE[0])
    app = make(lockout_attempts=2, credential_cache_seconds=60)
    assert request(app, data=gcv(auth), client=REMOTE).json()["value"] == "Acme"  # cached now
    with transaction(engine) as conn:
        conn.execute(update(tblconfiguration).where(tblconfiguration.c.setting == "CompanyName")
                     .values(value="Acme Two"))
    assert request(app, data=gcv(auth), client=REMOTE).json()["value"] == "Acme Two"
    with transaction(engine) as conn:  # guesses counted elsewhere (another worker, say)
        for _ in range(2):
            access.record_failure(conn, REMOTE[0], "someone")
    locked = request(app, data=gcv(auth), client=REMOTE)
    assert (locked.status_code, locked.json()["message"]) == (403, "Authentication Failed")
    with transaction(engine) as conn:
        conn.execute(own.auth_failures.delete())
        access.remove_allowed_ip(conn, REMOTE[0])
    refused = request(app, data=gcv(auth), client=REMOTE)
    assert (refused.status_code, refused.json()["message"]) == (403, f"Invalid IP {REMOTE[0]}")


@pytest.mark.parametrize("action, shown", [("Nope", "nope"), ("", ""),
                                           ("DeleteClient", "deleteclient")])
def test_unknown_and_missing_action(api, action, shown):
    make, auth = api
    reply = request(make(), data={**gcv(auth), "action": action})
    assert reply.status_code == 200
    assert reply.json()["message"] == f'Invalid API Action: "{shown}" is not a valid API action'


def test_action_is_case_insensitive(api):
    make, auth = api
    assert request(make(), data={**gcv(auth), "action": "getconfigurationvalue"}).json()[
        "result"] == "success"


def test_role_does_not_allow_it(api, engine):
    make, _ = api
    with transaction(engine) as conn:
        ident, secret = access.create_credential(conn, allow=["GetInvoices"])
    reply = request(make(), data=gcv({"identifier": ident, "secret": secret}))
    assert reply.status_code == 403
    assert reply.json()["message"] == \
        'Invalid Permissions: API action "getconfigurationvalue" is not allowed'


def test_bad_parameter(api):
    make, auth = api
    reply = request(make(), data={**auth, "action": "GenInvoices", "clientid": "1e3",
                                  "responsetype": "json"})
    assert (reply.status_code, reply.json()["message"]) == (
        200, "Invalid clientid: must be a whole number")


@pytest.mark.parametrize("setting, message", [("Nope", "Invalid setting: Nope"),
                                              ("", "Parameter setting is required")])
def test_business_errors(api, setting, message):
    make, auth = api
    reply = request(make(), data=gcv(auth, setting=setting))
    assert (reply.status_code, reply.json()["message"]) == (200, message)


def test_database_unavailable_is_503(api):
    make, auth = api
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    app = create_app(Settings(database_url="sqlite://"), dead)
    reply = request(app, data=gcv(auth))
    assert (reply.status_code, reply.json()) == (
        503, {"result": "error", "message": "Database unavailable, please retry"})


def test_lock_timeout_is_503(api, engine, database_url):
    make, auth = api
    quick = make_engine(database_url, lock_timeout_seconds=1)
    app = create_app(Settings(database_url="sqlite://"), quick)
    from tests import builders as b
    with transaction(engine) as conn:
        cid = b.make_client(conn)
    try:
        with transaction(quick) as holder:
            if quick.dialect.name != "sqlite":
                from geninvoices.models.whmcs import tblclients
                holder.execute(select(tblclients).where(tblclients.c.id == cid)
                               .with_for_update())
            reply = request(app, data={**auth, "action": "GenInvoices", "clientid": str(cid),
                                       "responsetype": "json"})
    finally:
        quick.dispose()
    assert (reply.status_code, reply.json()["message"]) == (
        503, "Another run holds these records, please retry")


# --- response formats ---------------------------------------------------------------------

def test_xml_is_the_default_and_well_formed_with_any_stored_text(api, engine):
    make, auth = api
    nasty = 'a<b>&c]]>"\'\x01\x0b end'
    with transaction(engine) as conn:
        conn.execute(update(tblconfiguration).values(value=nasty))
    reply = request(make(), data={k: v for k, v in gcv(auth).items() if k != "responsetype"})
    assert reply.headers["content-type"] == "text/xml; charset=utf-8"
    assert reply.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n'
                                 '<whmcsapi version="8.13.1">\n'
                                 '<action>getconfigurationvalue</action>\n'
                                 '<result>success</result>\n')
    root = ET.fromstring(reply.text)
    assert root.findtext("value").startswith('a<b>&c]]>"\'')


def test_error_bodies_come_in_the_requested_format(api):
    make, auth = api
    xml = request(make(), data={**gcv(auth), "action": "Bogus", "responsetype": "xml"})
    root = ET.fromstring(xml.text)
    assert (root.findtext("action"), root.findtext("result"), root.findtext("message")) == (
        "bogus", "error", 'Invalid API Action: "bogus" is not a valid API action')
    nvp = request(make(), data={**gcv(auth), "secret": "x", "responsetype": "nvp"})
    assert nvp.text == "result=error;message=Authentication Failed;"
    assert nvp.headers["content-type"] == "text/plain; charset=utf-8"


def test_nvp_escapes_separators(api, engine):
    make, auth = api
    with transaction(engine) as conn:
        conn.execute(update(tblconfiguration).values(value="a=b;c%d"))
    reply = request(make(), data=gcv(auth, responsetype="nvp"))
    assert reply.text == "result=success;setting=CompanyName;value=a%3Db%3Bc%25d;"


def test_default_responsetype_setting(api):
    make, auth = api
    data = {k: v for k, v in gcv(auth).items() if k != "responsetype"}
    assert request(make(default_responsetype="json"), data=data).json()["value"] == "Acme"
    assert request(make(default_responsetype="nvp"), data=data).text.startswith(
        "result=success;")


# --- parameters and transports -----------------------------------------------------------------

def test_query_string_overlaid_by_body(api):
    make, auth = api
    reply = request(make(), params={"action": "GetConfigurationValue", "setting": "Nope"},
                    data={**auth, "setting": "CompanyName", "responsetype": "json"})
    assert reply.json()["value"] == "Acme"  # action from the query, setting from the body


def test_get_json_and_multipart(api):
    make, auth = api
    assert request(make(), method="GET", params=gcv(auth)).json()["value"] == "Acme"
    assert request(make(), json_body=gcv(auth)).json()["value"] == "Acme"
    multipart = request(make(), data=gcv(auth), files={"ignored": ("f.txt", b"x")})
    assert multipart.json()["value"] == "Acme"


def test_username_and_password_carry_credentials(api):
    make, auth = api
    reply = request(make(), data=gcv({"username": auth["identifier"],
                                      "password": auth["secret"]}))
    assert reply.json()["result"] == "success"


@pytest.mark.parametrize("content, content_type", [
    (b"action=GetConfigurationValue&setting=%ff%fe", "application/x-www-form-urlencoded"),
    (b"\xff\xfe=1", "application/x-www-form-urlencoded"),
    (b"", "application/x-www-form-urlencoded"),
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b"action=GetConfigurationValue", "text/plain"),
    (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    (b"clientid=99999999999999999999999&action=GenInvoices", "application/x-www-form-urlencoded"),
])
def test_malformed_requests_never_500_and_write_nothing(api, engine, content, content_type):
    make, auth = api
    before = failures(engine)
    reply = request(make(), content=content, headers={"content-type": content_type},
                    params={"responsetype": "json"})
    assert reply.status_code in (200, 403)
    assert reply.json()["result"] == "error"
    assert "Traceback" not in reply.text
    assert failures(engine) == before


def test_non_utf8_is_named(api):
    make, auth = api
    reply = request(make(), content=b"setting=%ff", headers={
        "content-type": "application/x-www-form-urlencoded"}, params=gcv(auth))
    assert reply.json()["message"] == "Invalid request: parameters must be UTF-8 text"


# --- limits ---------------------------------------------------------------------------------

def test_body_over_the_limit(api):
    make, auth = api
    app = make(max_body_bytes=200)
    reply = request(app, data={**gcv(auth), "pad": "x" * 300})  # its responsetype unread
    assert ET.fromstring(reply.text).findtext("message") == \
        "Request too large: body over 200 bytes"

    async def chunks():  # no Content-Length: counted while reading
        yield b"action=GetConfigurationValue&pad="
        for _ in range(10):
            yield b"x" * 50
    streamed = request(app, content=chunks(), headers={
        "content-type": "application/x-www-form-urlencoded"}, params={"responsetype": "json"})
    assert streamed.json()["message"] == "Request too large: body over 200 bytes"


@pytest.mark.parametrize("extra, settings, message", [
    ({f"p{i}": "1" for i in range(30)}, {"max_params": 20}, "more than 20 parameters"),
    ({f"serviceids[{i}]": "1" for i in range(11)}, {"max_array_elements": 10},
     "more than 10 elements in serviceids"),
    ({"a[b][c][d]": "1"}, {"max_key_depth": 2}, "key nesting deeper than 2 in a"),
])
def test_parameter_limits(api, extra, settings, message):
    make, auth = api
    reply = request(make(**settings), data={**gcv(auth), **extra},
                    params={"responsetype": "json"})  # the body's own is never read
    assert reply.json()["message"] == f"Request too large: {message}"


# --- legacy admin login ------------------------------------------------------------------------

@pytest.mark.parametrize("password, ok", [
    (hashlib.md5(b"pw").hexdigest(), True), (hashlib.md5(b"pw").hexdigest().upper(), True),
    ("pw", False), (hashlib.md5(b"other").hexdigest(), False)])
def test_legacy_admin_login(api, engine, password, ok):
    make, _ = api
    with transaction(engine) as conn:
        access.create_admin(conn, "alice", "pw")
    reply = request(make(), data=gcv({"username": "alice", "password": password}))
    assert (reply.json()["result"] == "success") is ok


def test_admin_without_api_access_or_disabled(api, engine):
    make, _ = api
    md5 = hashlib.md5(b"pw").hexdigest()
    with transaction(engine) as conn:
        access.create_admin(conn, "noapi", "pw", api_access=False)
        access.create_admin(conn, "gone", "pw")
        conn.execute(update(tbladmins).where(tbladmins.c.username == "gone").values(disabled=1))
    for name in ("noapi", "gone"):
        reply = request(make(), data=gcv({"username": name, "password": md5}))
        assert (reply.status_code, reply.json()["message"]) == (403, "Authentication Failed")


# --- IP allow-list, access key, proxies ---------------------------------------------------------

def test_ipv4_mapped_ipv6_is_the_ipv4_address(api):
    make, auth = api
    assert request(make(), data=gcv(auth), client=("::ffff:127.0.0.1", 1)).status_code == 200


def test_access_key_bypasses_the_allow_list_not_the_credentials(api):
    make, auth = api
    app = make(access_key="k-9f2c7e")
    assert request(app, data=gcv(auth, accesskey="k-9f2c7e"), client=REMOTE).status_code == 200
    assert request(app, data=gcv(auth, accesskey="wrong"), client=REMOTE).status_code == 403
    no_creds = request(app, data={"action": "GetConfigurationValue", "accesskey": "k-9f2c7e",
                                  "responsetype": "json"}, client=REMOTE)
    assert no_creds.json()["message"] == "Authentication Failed"


def test_forwarded_for_only_from_trusted_proxies(api):
    make, auth = api
    header = {"x-forwarded-for": "203.0.113.7"}
    trusted = make(trusted_proxies=["127.0.0.1"])
    reply = request(trusted, data=gcv(auth), headers=header)
    assert reply.json()["message"] == "Invalid IP 203.0.113.7"
    assert request(make(), data=gcv(auth), headers=header).status_code == 200  # not trusted
    spoof = request(trusted, data=gcv(auth), headers={"x-forwarded-for": "127.0.0.1"},
                    client=REMOTE)  # an untrusted peer cannot claim to be local
    assert spoof.json()["message"] == "Invalid IP 203.0.113.7"


# --- lockout ----------------------------------------------------------------------------------

def test_lockout_of_an_address(api, engine):
    make, auth = api
    with transaction(engine) as conn:
        access.add_allowed_ip(conn, "198.51.100.9")
    app, peer = make(lockout_attempts=3), ("198.51.100.9", 1)
    for _ in range(3):
        assert request(app, data=gcv(auth, secret="bad"), client=peer).status_code == 403
    assert failures(engine) == 3
    locked = request(app, data=gcv(auth), client=peer)
    assert (locked.status_code, locked.json()["message"]) == (403, "Authentication Failed")
    assert failures(engine) == 3  # attempts while locked are not counted
    assert request(app, data=gcv(auth)).status_code == 200  # other addresses go on


def test_loopback_is_counted_per_identifier(api, engine):
    make, auth = api
    with transaction(engine) as conn:
        other_id, other_secret = access.create_credential(conn, allow=None)
    app = make(lockout_attempts=2)
    for _ in range(2):
        request(app, data=gcv({"identifier": other_id, "secret": "bad"}))
    assert request(app, data=gcv({"identifier": other_id, "secret": other_secret})
                   ).status_code == 403
    assert request(app, data=gcv(auth)).status_code == 200


def test_old_failures_do_not_count(api, engine):
    make, auth = api
    with transaction(engine) as conn:
        access.add_allowed_ip(conn, "198.51.100.9")
        old = clock.utcnow_exact() - dt.timedelta(seconds=1000)
        conn.execute(insert(own.auth_failures), [
            {"address": "198.51.100.9", "identifier": "x", "at": old} for _ in range(5)])
    app = make(lockout_attempts=3, lockout_window_seconds=900)
    assert request(app, data=gcv(auth), client=("198.51.100.9", 1)).status_code == 200


# --- logs ---------------------------------------------------------------------------------------

def test_access_log_has_no_secrets_or_query_strings(api, caplog):
    make, auth = api
    caplog.set_level(logging.DEBUG)
    request(make(), params={"secret": auth["secret"], "setting": "CompanyName"},
            data={"action": "GetConfigurationValue", "identifier": auth["identifier"],
                  "responsetype": "json"})
    request(make(), data=gcv(auth, secret="wrong-" + auth["secret"]))
    # everything the server side logged (the test's own HTTP client logs its URLs)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert auth["secret"] not in text and "setting=" not in text
    line = next(r.getMessage() for r in caplog.records if r.name == "geninvoices.access")
    assert line.startswith("api action=getconfigurationvalue caller=")
    assert "client=127.0.0.1" in line and "status=200 outcome=success" in line
    assert "duration_ms=" in line
