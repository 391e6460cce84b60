"""What every `geninvoices` command shares (rules §8): one line on stderr for any error,
with the exit code that tells cron what to do (1 business or setup error, 75 try again, 2
usage), the settings, and the database, which only `migrate` and `serve` may create."""

from __future__ import annotations

import contextlib
import functools
import logging
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy import exc
from sqlalchemy.engine import make_url

from .config import Settings
from .db import make_engine, translate
from .errors import GenInvoicesError, LockTimeout, RetryableError

EXIT_BUSINESS, EXIT_RETRY, EXIT_USAGE = 1, 75, 2
MAX_ID = 2_147_483_647  # WHMCS's ids are int(10) columns: a larger one names nothing
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
