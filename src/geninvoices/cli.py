"""The `geninvoices` command (rules §8). Every command answers bad input with one line on
stderr, `error: ...`, and a non-zero exit: 1 for a business error, 75 when the database is
unreachable or a lock could not be had (try again), 2 for usage errors."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import insert, select, update

from . import access, cli_admin, cli_billing, cli_catalogue, cli_documents, faults
from .cli_support import (
    EXIT_BUSINESS,
    ClickException,
    UsageError,
    command,
    database,
    fail,
    settings,
)
from .db import transaction

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
app.add_typer(cli_admin.lockouts_app, name="lockouts")
app.add_typer(cli_documents.invoice_app, name="invoice")
cli_documents.invoice_app.command("pdf")(command(cli_documents.invoice_pdf))
cli_documents.invoice_app.command("html")(command(cli_documents.invoice_html))
cli_documents.invoice_app.command("link")(command(cli_documents.invoice_link))
app.add_typer(cli_catalogue.products_app, name="products")
app.add_typer(cli_catalogue.gateways_app, name="gateways")
config_app.command("list")(command(cli_admin.config_list))
credentials_app.command("ensure")(command(cli_admin.credentials_ensure))

@app.command("migrate")
@command
def migrate_cmd(adopt: Annotated[bool, typer.Option("--adopt", help=(
        "add geninvoices' tables to an existing WHMCS database without touching WHMCS's"))] = False,
        add_indexes_: Annotated[bool, typer.Option("--add-indexes", help=(
            "create the indexes geninvoices needs on WHMCS's tables"))] = False) -> None:
    """Create or update the database schema."""
    from .migrate import add_indexes, migrate  # alembic: only when migrating

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

    from .clock import today_in
    from .demo import demo_product, start_demo, walkthrough, walkthrough_number
    from .listeners import serve_workers

    s = settings()
    _check_listen(host, port)
    from .documents.render import Renderer
    from .migrate import migrate
    Renderer(s.templates_dir).check()  # a broken template override: one line, exit 1
    with database(s, create=True) as engine:
        typer.echo(migrate(engine), err=True)
        if demo:
            with transaction(engine) as conn:
                ident, secret, seeded = start_demo(conn, today_in(s))
            typer.echo(f"demo data seeded; new API credential {ident}" if seeded else
                       f"demo database: re-issued the demo credential as {ident} (the previous "
                       "secret no longer works)", err=True)
            typer.echo(demo_curl(host, port, ident, secret))
            with transaction(engine, write=False) as conn:
                product, n = demo_product(conn), walkthrough_number(conn)
            typer.echo("\n# a client, a monthly order, GenInvoices and a payment, through the "
                       "API (paste into a shell):")
            typer.echo(walkthrough(_endpoint(host, port), ident, secret, product, n))
        else:
            _hint_credentials(engine)
    with metrics_directory():
        from .app import configure_logging  # after the directory: it imports the metrics
        configure_logging()
        options = dict(factory=True, host=host, port=port, workers=workers, access_log=False,
                       proxy_headers=False, server_header=False, log_level="info",
                       log_config=log_config())
        if workers == 1:
            uvicorn.run("geninvoices.app:create_app", **options)
        else:  # a socket per worker: connections spread over the workers (listeners.py)
            serve_workers(uvicorn.Config("geninvoices.app:create_app", **options))


def _hint_credentials(engine) -> None:
    """With no active credential every API call is refused: say how to make one."""
    with transaction(engine, write=False) as conn:
        if access.active_credentials(conn):
            return
    typer.echo("no active API credential: every API call will be refused until you create "
               "one with `geninvoices credentials create`", err=True)


@contextlib.contextmanager
def metrics_directory():
    """A fresh PROMETHEUS_MULTIPROC_DIR for this server's workers, removed when it stops:
    the counts of a previous server (or of dead workers' pids reused) never leak in."""
    import signal

    def stopped(signum, _frame):  # uvicorn re-raises SIGTERM after its graceful shutdown
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stopped)
    with tempfile.TemporaryDirectory(prefix="geninvoices-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield directory
        finally:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


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


def _endpoint(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/includes/api.php"


def demo_curl(host: str, port: int, ident: str, secret: str) -> str:
    return (f"curl -s {_endpoint(host, port)} -d action=GenInvoices "
            f"-d identifier={ident} -d secret={secret} -d responsetype=json")


app.command("generate")(command(cli_billing.generate))
mail_app.command("send")(command(cli_billing.mail_send))
mail_app.command("list")(command(cli_billing.mail_list))


# --- credentials ----------------------------------------------------------------------------

@credentials_app.command("create")
@command
def credentials_create(
        allow: Annotated[list[str] | None, typer.Option(
            "--allow", help="an action this credential may run (repeatable); default: all")] = None,
        description: Annotated[str, typer.Option(help="what it is for")] = "",
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Create a credential; its secret is shown once."""
    from .actions import ACTIONS
    if allow is not None:
        allow = [a.strip() for a in allow]
        if not all(allow):
            fail("--allow needs an action name, e.g. --allow GetInvoices")
    with database() as engine, transaction(engine) as conn:
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
    with database() as engine, transaction(engine, write=False) as conn:
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
    with database() as engine, transaction(engine) as conn:
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
    with database() as engine, transaction(engine) as conn:
        access.create_admin(conn, username, password, email=email, api_access=api_access)
    typer.echo(f"admin {username} created" + ("" if api_access else " (no API access)"))


@admins_app.command("set-password")
@command
def admins_set_password(username: str, api_access: Annotated[
        bool, typer.Option("--api-access/--no-api-access")] = True) -> None:
    """Set an admin's legacy-login password from stdin (also for adopted WHMCS admins)."""
    password = _password_from_stdin()
    with database() as engine, transaction(engine) as conn:
        access.set_admin_password(conn, username, password, api_access=api_access)
    typer.echo(f"password set for {username}")


# --- allowed IPs --------------------------------------------------------------------------------

def _address(address: str) -> str:
    try:
        return access.normalise_allowed(address)
    except ValueError as error:
        fail(str(error) if "/" in address else f"{address!r} is not an IP address or a "
             "range such as 10.0.0.0/8")


@ips_app.command("add")
@command
def ips_add(address: str) -> None:
    """Allow calls from this address, or a range such as 10.0.0.0/8 or fd00::/8."""
    address = _address(address)
    with database() as engine, transaction(engine) as conn:
        access.add_allowed_ip(conn, address)
    typer.echo(f"allowed {address}")


@ips_app.command("remove")
@command
def ips_remove(address: str) -> None:
    """Stop allowing calls from this address or range."""
    address = _address(address)
    with database() as engine, transaction(engine) as conn:
        access.remove_allowed_ip(conn, address)
    typer.echo(f"removed {address}")


@ips_app.command("list")
@command
def ips_list() -> None:
    """The allowed addresses."""
    with database() as engine, transaction(engine, write=False) as conn:
        for address in access.allowed_ips(conn):
            typer.echo(address)


# --- configuration ------------------------------------------------------------------------------

@config_app.command("get")
@command
def config_get(key: str) -> None:
    """Print a tblconfiguration value (a setting geninvoices reads: its default when unset)."""
    from .models.defaults import KNOWN_SETTINGS
    from .models.whmcs import tblconfiguration as cfg
    with database() as engine, transaction(engine, write=False) as conn:
        value = conn.execute(select(cfg.c.value).where(cfg.c.setting == key)).scalar()
    if value is None:
        value = KNOWN_SETTINGS.get(key)
    if value is None:
        fail(f"no setting named {key}")
    typer.echo(value)


@config_app.command("set")
@command
def config_set(key: str, value: str) -> None:
    """Set a tblconfiguration value; the settings the engine reads are checked."""
    from .clock import utcnow
    from .models.whmcs import tblconfiguration as cfg
    from .settings_check import check_setting
    if not key.strip() or len(key) > 64:
        fail("a setting name is 1 to 64 characters")
    try:
        value = check_setting(key, value)
    except ValueError as error:
        fail(str(error))
    with database() as engine, transaction(engine) as conn:
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
