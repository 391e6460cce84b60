"""The `geninvoices` command (rules §8). Every command answers bad input with one line on
stderr, `error: ...`, and a non-zero exit: 1 for a business error, 75 when the database is
unreachable or a lock could not be had (try again), 2 for usage errors."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from pydantic import ValidationError
from sqlalchemy import exc, insert, select, update
from sqlalchemy.engine import make_url

from . import access, cli_billing, faults
from .config import Settings
from .db import make_engine, transaction, translate
from .errors import GenInvoicesError, LockTimeout, RetryableError
from .migrate import add_indexes, migrate

app = typer.Typer(help="geninvoices: a WHMCS-compatible billing API server.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
credentials_app = typer.Typer(help="API credentials (identifier + secret).",
                              no_args_is_help=True)
admins_app = typer.Typer(help="Admins and their legacy API login.", no_args_is_help=True)
ips_app = typer.Typer(help="The API's IP allow-list.", no_args_is_help=True)
config_app = typer.Typer(help="WHMCS settings in tblconfiguration.", no_args_is_help=True)
app.add_typer(credentials_app, name="credentials")
app.add_typer(admins_app, name="admins")
app.add_typer(ips_app, name="allowed-ips")
app.add_typer(config_app, name="config")
mail_app = typer.Typer(help="The outbox of Invoice Created emails.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")

EXIT_BUSINESS, EXIT_RETRY, EXIT_USAGE = 1, 75, 2
# click's exception classes, wherever this typer version keeps click (newer ones vendor it)
_CLICK = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
UsageError, ClickException = _CLICK["UsageError"], _CLICK["ClickException"]
NOT_MIGRATED = ("the database has no geninvoices tables: run `geninvoices migrate` first "
                "(or check GENINVOICES_DATABASE_URL)")


def fail(message: str, code: int = EXIT_BUSINESS) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def command(func):
    """One line and an exit code for anything that goes wrong; never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except RetryableError as error:
            database_error(error, error)
        except GenInvoicesError as error:
            fail(error.message)
        except exc.ArgumentError as error:
            fail(f"bad GENINVOICES_DATABASE_URL: {_first_line(error)}", EXIT_USAGE)
        except exc.SQLAlchemyError as error:
            database_error(error, translate(error))
        except ValidationError as error:  # a GENINVOICES_* setting
            fail(_setting_error(error), EXIT_USAGE)
        except (ValueError, ImportError, OSError) as error:
            fail(_first_line(error))
        except Exception as error:  # noqa: BLE001 - one line, never a traceback
            logging.getLogger("geninvoices.cli").debug("unexpected error", exc_info=True)
            fail(f"unexpected {error.__class__.__name__}: {_first_line(error)}")
    return wrapper


def database_error(error: BaseException, translated: BaseException) -> None:
    """One line for what the database said: a setup problem (exit 1) or try again (75)."""
    if _missing_table(error):
        fail(NOT_MIGRATED)
    if problem := _setup_problem(error):
        fail(problem)
    cause = next((e for e in _chain(error) if isinstance(e, exc.SQLAlchemyError)), None)
    reason = f": {_first_line(cause.orig or cause)}" if cause is not None else ""
    if isinstance(translated, LockTimeout):
        fail(f"{translated.message}{reason}", EXIT_RETRY)
    if isinstance(translated, RetryableError):
        fail(f"{translated.message}{reason} (check GENINVOICES_DATABASE_URL and that the "
             "database is running)", EXIT_RETRY)
    fail(f"database error{reason}; is the database migrated? run `geninvoices migrate`")


def _chain(error: BaseException | None):
    for _ in range(5):
        if error is None:
            return
        yield error
        error = error.__cause__


def _driver_errors(error: BaseException):
    for e in _chain(error):
        if getattr(e, "orig", None) is not None:
            yield e.orig


def _missing_table(error: BaseException) -> bool:
    """A table that is not there: the database was never migrated (SQLite reports it as an
    OperationalError, which would otherwise read as "unavailable, retry")."""
    for orig in _driver_errors(error):
        if getattr(orig, "sqlstate", None) == "42P01":  # PostgreSQL undefined_table
            return True
        if (getattr(orig, "args", None) or [None])[0] == 1146:  # MariaDB no such table
            return True
        if "no such table" in str(orig):  # SQLite
            return True
    return False


def _setup_problem(error: BaseException) -> str | None:
    """A database that is up but will never accept this URL: retrying cannot help."""
    for orig in _driver_errors(error):
        code, text = (getattr(orig, "args", None) or [None])[0], str(orig)
        if code == 1049 or ("FATAL:" in text and "database" in text and
                            "does not exist" in text):
            return ("the database named in GENINVOICES_DATABASE_URL does not exist: create it "
                    "(CREATE DATABASE ...), then run `geninvoices migrate`")
        if code in (1044, 1045) or any(s in text for s in (
                "password authentication failed", "no pg_hba.conf entry",
                "authentication failed")) or ('role "' in text and "does not exist" in text):
            return ("the database server refused the login: check the user and password in "
                    f"GENINVOICES_DATABASE_URL ({_first_line(orig)})")
    return None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [error.__class__.__name__])[0]


def _setting_error(error: ValidationError) -> str:
    first = error.errors()[0]
    name = "GENINVOICES_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
    return f"bad {name}: {first['msg'].removeprefix('Value error, ')}"


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        fail(_setting_error(error), EXIT_USAGE)


def engine_for(s: Settings):
    try:
        return make_engine(s.database_url, lock_timeout_seconds=s.lock_timeout_seconds)
    except (exc.ArgumentError, ValueError, ImportError) as error:
        fail(f"bad GENINVOICES_DATABASE_URL {shown_url(s.database_url)!r}: "
             f"{_first_line(error)}", EXIT_USAGE)


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def _no_sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names when it does not exist (opening it would create it)."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        return None  # engine_for says what is wrong with it
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


@contextlib.contextmanager
def database(s: Settings | None = None, *, create: bool = False):
    """The configured database's engine, disposed of afterwards. Only `migrate` and `serve`
    (``create=True``) may bring a new SQLite file into being."""
    s = s or settings()
    if missing := _no_sqlite_file(s.database_url):
        if not create:
            fail(f"no database file {missing}: run `geninvoices migrate` first (or set "
                 "GENINVOICES_DATABASE_URL)")
        if not missing.parent.is_dir():
            fail(f"cannot create the database file {missing}: the directory "
                 f"{missing.parent} does not exist")
    engine = engine_for(s)
    try:
        yield engine
    finally:
        engine.dispose()


# --- serve and migrate -----------------------------------------------------------------------

@app.command("migrate")
@command
def migrate_cmd(adopt: Annotated[bool, typer.Option("--adopt", help=(
        "add geninvoices' tables to an existing WHMCS database without touching WHMCS's"))] = False,
        add_indexes_: Annotated[bool, typer.Option("--add-indexes", help=(
            "create the indexes geninvoices needs on WHMCS's tables"))] = False) -> None:
    """Create or update the database schema."""
    with database(create=True) as engine:
        typer.echo(migrate(engine, adopt=adopt))
        if add_indexes_:
            created = add_indexes(engine)
            typer.echo("indexes created: " + (", ".join(created) if created else "none needed"))


@app.command()
@command
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
          demo: Annotated[bool, typer.Option(help="seed demo data and print a curl line")] = False):
    """Migrate, then serve /includes/api.php with uvicorn."""
    import uvicorn

    from .runs import today_in
    from .app import configure_logging
    from .demo import seed_demo

    s = settings()
    _check_listen(host, port)
    with database(s, create=True) as engine:
        typer.echo(migrate(engine), err=True)
        if demo:
            with transaction(engine) as conn:
                seeded = seed_demo(conn, today_in(s))
                ident, secret = access.create_credential(conn, allow=None,
                                                         description="serve --demo")
            typer.echo(("demo data seeded" if seeded else "demo data already there")
                       + f"; new API credential {ident}", err=True)
            typer.echo(demo_curl(host, port, ident, secret))
    configure_logging()
    uvicorn.run("geninvoices.app:create_app", factory=True, host=host, port=port,
                workers=workers, access_log=False, proxy_headers=False, server_header=False,
                log_level="info", log_config=log_config())


def _check_listen(host: str, port: int) -> None:
    """Say in one line that the address is taken, before migrating and seeding."""
    import socket
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        fail(f"cannot listen on {host} port {port}: {error.strerror or error}; choose "
             "another with --host/--port")


def log_config() -> dict:
    """uvicorn's logging, plus our own access lines, applied in every worker process."""
    import copy

    from uvicorn.config import LOGGING_CONFIG
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["default"]["fmt"] = "%(asctime)s %(levelprefix)s %(name)s: %(message)s"
    config["loggers"]["geninvoices"] = {"handlers": ["default"], "level": "INFO",
                                        "propagate": False}
    config["loggers"]["psycopg"] = {"level": "ERROR"}
    return config


def demo_curl(host: str, port: int, ident: str, secret: str) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    return (f"curl -s http://{shown}:{port}/includes/api.php -d action=GenInvoices "
            f"-d identifier={ident} -d secret={secret} -d responsetype=json")


app.command("generate")(command(cli_billing.generate))
mail_app.command("send")(command(cli_billing.mail_send))
mail_app.command("list")(command(cli_billing.mail_list))


# --- credentials ----------------------------------------------------------------------------

@credentials_app.command("create")
@command
def credentials_create(
        allow: Annotated[Optional[list[str]], typer.Option(
            "--allow", help="an action this credential may run (repeatable); default: all")] = None,
        description: Annotated[str, typer.Option(help="what it is for")] = "",
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Create a credential; its secret is shown once."""
    from .actions import ACTIONS
    if allow is not None:
        allow = [a.strip() for a in allow]
        if not all(allow):
            fail("--allow needs an action name, e.g. --allow GetInvoices")
    with database() as engine:
        with transaction(engine) as conn:
            ident, secret = access.create_credential(
                conn, allow=allow, description=description, known_actions=set(ACTIONS))
    actions = sorted({a.lower() for a in allow}) if allow else ["*"]
    if as_json:
        typer.echo(json.dumps({"identifier": ident, "secret": secret, "actions": actions}))
        return
    typer.echo(f"identifier: {ident}\nsecret:     {secret}\nactions:    {', '.join(actions)}")
    typer.echo("The secret is shown only now; store it safely.", err=True)


@credentials_app.command("list")
@command
def credentials_list() -> None:
    """Credentials with their roles; never a secret."""
    with database() as engine:
        with transaction(engine, write=False) as conn:
            rows = access.list_credentials(conn)
    table = Table()
    table.add_column("identifier", no_wrap=True, min_width=32)
    for name in ("description", "created (UTC)", "revoked (UTC)", "actions"):
        table.add_column(name)
    for r in rows:
        actions = ["* (every action)" if a == "*" else a for a in r["actions"]]
        table.add_row(r["identifier"], escape(r["description"] or ""),
                      f"{r['created']:%Y-%m-%d %H:%M}",
                      f"{r['revoked']:%Y-%m-%d %H:%M}" if r["revoked"] else "",
                      escape(", ".join(actions)))
    Console(width=140).print(table)


@credentials_app.command("revoke")
@command
def credentials_revoke(identifier: str) -> None:
    """Revoke a credential (every worker refuses it within 60 seconds at most)."""
    with database() as engine:
        with transaction(engine) as conn:
            access.revoke_credential(conn, identifier)
    typer.echo(f"revoked {identifier}")


# --- admins -----------------------------------------------------------------------------------

def _password_from_stdin() -> str:
    if sys.stdin.isatty():
        typer.echo("password (one line): ", err=True, nl=False)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("give the password on standard input, e.g. `echo 'pw' | geninvoices admins ...`")
    return password


@admins_app.command("create")
@command
def admins_create(username: str, email: Annotated[str, typer.Option()] = "",
                  api_access: Annotated[bool, typer.Option("--api-access/--no-api-access")] = True):
    """Create an admin; the password (for the legacy MD5 login) comes from stdin."""
    password = _password_from_stdin()
    with database() as engine:
        with transaction(engine) as conn:
            access.create_admin(conn, username, password, email=email, api_access=api_access)
    typer.echo(f"admin {username} created" + ("" if api_access else " (no API access)"))


@admins_app.command("set-password")
@command
def admins_set_password(username: str, api_access: Annotated[
        bool, typer.Option("--api-access/--no-api-access")] = True) -> None:
    """Set an admin's legacy-login password from stdin (also for adopted WHMCS admins)."""
    password = _password_from_stdin()
    with database() as engine:
        with transaction(engine) as conn:
            access.set_admin_password(conn, username, password, api_access=api_access)
    typer.echo(f"password set for {username}")


# --- allowed IPs --------------------------------------------------------------------------------

def _address(address: str) -> str:
    try:
        return access.normalise_ip(address)
    except ValueError:
        fail(f"{address!r} is not an IP address (ranges are not supported)")


@ips_app.command("add")
@command
def ips_add(address: str) -> None:
    """Allow calls from this address."""
    address = _address(address)
    with database() as engine:
        with transaction(engine) as conn:
            access.add_allowed_ip(conn, address)
    typer.echo(f"allowed {address}")


@ips_app.command("remove")
@command
def ips_remove(address: str) -> None:
    """Stop allowing calls from this address."""
    address = _address(address)
    with database() as engine:
        with transaction(engine) as conn:
            access.remove_allowed_ip(conn, address)
    typer.echo(f"removed {address}")


@ips_app.command("list")
@command
def ips_list() -> None:
    """The allowed addresses."""
    with database() as engine:
        with transaction(engine, write=False) as conn:
            for address in access.allowed_ips(conn):
                typer.echo(address)


# --- configuration ------------------------------------------------------------------------------

@config_app.command("get")
@command
def config_get(key: str) -> None:
    """Print a tblconfiguration value."""
    from .models.whmcs import tblconfiguration as cfg
    with database() as engine:
        with transaction(engine, write=False) as conn:
            value = conn.execute(select(cfg.c.value).where(cfg.c.setting == key)).scalar()
    if value is None:
        fail(f"no setting named {key}")
    typer.echo(value)


@config_app.command("set")
@command
def config_set(key: str, value: str) -> None:
    """Set a tblconfiguration value (a checkbox is `on` or empty)."""
    from .access import utcnow
    from .models.whmcs import tblconfiguration as cfg
    if not key.strip() or len(key) > 64:
        fail("a setting name is 1 to 64 characters")
    with database() as engine:
        with transaction(engine) as conn:
            now = utcnow()
            found = conn.execute(select(cfg.c.setting).where(cfg.c.setting == key)).first()
            if found:
                conn.execute(update(cfg).where(cfg.c.setting == key).values(value=value,
                                                                           updated_at=now))
            else:
                conn.execute(insert(cfg).values(setting=key, value=value, created_at=now,
                                                updated_at=now))
    typer.echo(f"{key} = {value}")


def main(argv: list[str] | None = None) -> None:
    """Run the command line. Usage errors are one line too (exit 2), not typer's box."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("psycopg").setLevel(logging.ERROR)  # its notices of a dropped link
    faults.arm(os.environ)  # test hooks: read once at start-up, inert unless testing
    command_ = typer.main.get_command(app)
    try:
        code = command_.main(args=argv, prog_name="geninvoices", standalone_mode=False)
    except UsageError as error:
        if error.__class__.__name__ == "NoArgsIsHelpError":  # `geninvoices credentials`
            if (text := error.format_message()).strip():  # rich has printed it already
                typer.echo(text, err=True)
            sys.exit(error.exit_code)
        where = error.ctx.command_path if error.ctx else "geninvoices"
        message = " ".join(error.format_message().split())
        typer.echo(f"error: {message} (see `{where} --help`)", err=True)
        sys.exit(error.exit_code)
    except ClickException as error:
        typer.echo(f"error: {' '.join(error.format_message().split())}", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(EXIT_BUSINESS)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
