"""Server-rendered HTML of the console. Every value from a store, Fivetran, a source or the LLM goes through
`esc` (HTML-escaped, quotes included) before it reaches a page; no inline script or style (CSP default-src 'self').
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

NAV = (("incidents", "Incidents"), ("approvals", "Approvals"), ("connections", "Connections"), ("audit", "Audit"))


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def url(base: str, *parts: str) -> str:
    return base + "".join("/" + quote(str(p), safe="") for p in parts)


def page(base: str, title: str, body: str, *, active: str = "", signed_in: str | None = None, csrf: str = "",
         refresh: int | None = None) -> str:
    nav = "".join(
        f'<a href="{esc(url(base, "console", key))}"{" aria-current=page" if key == active else ""}>{esc(label)}</a>'
        for key, label in NAV
    ) if signed_in else ""
    who = (f'<form method="post" action="{esc(url(base, "console", "logout"))}" class="who">'
           f'<span>Signed in as {esc(signed_in)}</span><input type="hidden" name="csrf" value="{esc(csrf)}">'
           f'<button type="submit">Sign out</button></form>') if signed_in else ""
    data_refresh = f' data-refresh="{int(refresh)}"' if refresh else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · Fivetran Recovery</title>"
        f'<link rel=stylesheet href="{esc(url(base, "console", "static", "console.css"))}">'
        f'<script src="{esc(url(base, "console", "static", "console.js"))}" defer></script>'
        f"</head><body{data_refresh}><header><strong>Fivetran Recovery</strong><nav>{nav}</nav>{who}</header>"
        f"<main><h1>{esc(title)}</h1>{body}</main></body></html>"
    )


def table(headers: Sequence[str], rows: Iterable[str], *, label: str, empty: str = "Nothing here.") -> str:
    rows = list(rows)
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th scope=col>{esc(h)}</th>" for h in headers)
    return f'<table aria-label="{esc(label)}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def cells(*values: str) -> str:
    """Table cells from already-escaped HTML fragments."""
    return "".join(f"<td>{v}</td>" for v in values)


def link(href: str, text: Any) -> str:
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def badge(value: Any) -> str:
    return f'<span class="badge badge-{esc(str(value).replace("_", "-"))}">{esc(value)}</span>'


def pre(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, default=str)
    return f"<pre>{esc(text)}</pre>"


def definition_list(pairs: Iterable[tuple[str, str]]) -> str:
    """<dl> from (term, already-escaped HTML) pairs."""
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def hidden(name: str, value: Any) -> str:
    return f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'


def message(text: str, *, kind: str = "error") -> str:
    role = "alert" if kind == "error" else "status"
    return f'<p class="msg msg-{esc(kind)}" role="{role}">{esc(text)}</p>'


def sign_in_form(base: str, login_token: str, *, error: str | None = None, next_path: str = "") -> str:
    return (
        (message(error) if error else "")
        + f'<form method="post" action="{esc(url(base, "console", "login"))}" class="card">'
        + hidden("csrf", login_token) + hidden("next", next_path)
        + '<label for="token">Approver token</label>'
        + '<input id="token" name="token" type="password" autocomplete="current-password" required>'
        + '<button type="submit">Sign in</button></form>'
        + "<p>Your token is exchanged for a session cookie that lasts one hour; the page never stores it.</p>"
    )
