"""`geninvoices products groups add|list` and `geninvoices gateways add|list` (rules §12):
what WHMCS's API cannot create, written in WHMCS's own table layout. Registered by
``cli.py``; errors are one line through ``cli_support.command``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import catalogue
from .cli_support import command, database
from .db import transaction

products_app = typer.Typer(help="The product catalogue (products are added with the API's "
                                "AddProduct).", no_args_is_help=True)
groups_app = typer.Typer(help="Product groups: every product belongs to one.",
                         no_args_is_help=True)
products_app.add_typer(groups_app, name="groups")
gateways_app = typer.Typer(help="Payment gateways: what GetPaymentMethods lists.",
                           no_args_is_help=True)


@groups_app.command("add")
@command
def groups_add(name: Annotated[str, typer.Argument(help="the group's name")],
               hidden: Annotated[bool, typer.Option(
                   "--hidden", help="hide the group from the order form")] = False) -> None:
    """Add a product group; prints its id (AddProduct's gid)."""
    with database() as engine, transaction(engine) as conn:
        gid = catalogue.add_product_group(conn, name, hidden=hidden)
    typer.echo(f"added product group {gid}: {name.strip()}")


@groups_app.command("list")
@command
def groups_list() -> None:
    """Every product group, in display order."""
    with database() as engine, transaction(engine, write=False) as conn:
        groups = catalogue.product_groups(conn)
    table = Table("gid", "name", "hidden", "order")
    for g in groups:
        table.add_row(str(g.id), escape(g.name), "yes" if g.hidden else "no", str(g.order))
    Console(width=140).print(table)


@gateways_app.command("add")
@command
def gateways_add(
        module: Annotated[str, typer.Argument(help="the module's system name, e.g. paypal")],
        name: Annotated[str, typer.Option("--name", help="the display name")],
        type_: Annotated[str, typer.Option("--type", help="Invoices or CC")] = "Invoices",
        hidden: Annotated[bool, typer.Option(
            "--hidden", help="not shown on the order form")] = False) -> None:
    """Activate a payment gateway."""
    with database() as engine, transaction(engine) as conn:
        catalogue.activate_gateway(conn, module, name, type_=type_, visible=not hidden)
    typer.echo(f"activated gateway {module.strip()}: {name.strip()}")


@gateways_app.command("list")
@command
def gateways_list() -> None:
    """Every active gateway, in display order."""
    with database() as engine, transaction(engine, write=False) as conn:
        found = catalogue.gateways(conn)
    if not found:
        typer.echo("no gateway is active: add one with `geninvoices gateways add`")
        return
    table = Table("module", "display name", "type", "visible", "order")
    for g in found:
        table.add_row(escape(g.module), escape(g.name), escape(g.type),
                      "yes" if g.visible else "no", str(g.order))
    Console(width=140).print(table)
