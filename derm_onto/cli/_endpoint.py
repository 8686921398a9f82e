"""Options of the commands that talk to a SPARQL endpoint (query, publish, kg query).

Kept apart from :mod:`derm_onto.cli._common` because they need :mod:`derm_onto.sparql`,
which the other commands never load.
"""

from __future__ import annotations

from typing import Any

import click

from derm_onto.sparql import AUTH_SCHEMES


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: use KEY=VALUE", param_hint="--param")
        out[key] = value
    return out


ENDPOINT_AUTH = [
    click.option("--user", help="User name for the endpoint."),
    click.option(
        "--password",
        envvar="DERM_ONTO_SPARQL_PASSWORD",
        help="Password (or set DERM_ONTO_SPARQL_PASSWORD).",
    ),
    click.option(
        "--auth",
        type=click.Choice(AUTH_SCHEMES),
        default="basic",
        show_default=True,
        help="HTTP authentication (Virtuoso's /sparql-auth: digest).",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        default=30.0,
        show_default=True,
        help="Seconds a whole request may take (a total deadline, not per read).",
    ),
]


def http_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: endpoints are http(s) URLs (never file:// or another scheme)."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL")
    return value


def endpoint_options(function: Any) -> Any:
    for option in reversed(ENDPOINT_AUTH):
        function = option(function)
    return function
