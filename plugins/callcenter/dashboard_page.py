"""The call-center dashboard page, served by the gateway (issue 23).

``GET /callcenter/dashboard``: the statistics of a period (30 days to today by default) as
tables, drawn as charts by ``static/dashboard.js`` (uPlot, pinned in ``static/vendor``), which
also refreshes them when the ``callsImported`` subscription says calls landed. Filters are the
statistics report's, as query parameters named like ``CallStatisticsFilter``'s fields (a GET
form: nothing for a cross-site page to forge). Who: an account's company admin or
professional (their own account), reseller staff and system admins (any account they see,
``accountNumber``); another tenant's account is not found (404), like in GraphQL: the scope is
``services.scope_for`` and the figures come from ``reports.statistics_filter``.

``GET /callcenter/sign-in``: a page whose script calls the gateway's ``login`` mutation (the
one way in: it sets the session cookie), then comes back. Unsigned, the dashboard sends there.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.api import (
    RESELLER_STAFF,
    Account,
    Principal,
    Problem,
    Reseller,
    Role,
    accounts_visible,
    branding_of,
    negotiate,
    request_principal,
)
from plugins.callcenter import dashboard, reports, services
from plugins.callcenter.dashboard_html import STATIC, UPLOT, Layout, esc, filter_form, report
from plugins.callcenter.dashboard_texts import T

PATH = "/callcenter/dashboard"
SIGN_IN_PATH = "/callcenter/sign-in"
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Who may open it: an account's own administrators and professionals, and the staff.
VIEWERS = (Role.COMPANY_ADMIN, Role.PROFESSIONAL, Role.SYSTEM_ADMIN, *RESELLER_STAFF)
STAFF_VIEWERS = (Role.SYSTEM_ADMIN, *RESELLER_STAFF)
# Staff choose among at most this many accounts in the list (by name); past it, any
# account they see can still be given by number in the address.
MAX_ACCOUNTS_LISTED = 200
DEFAULT_DAYS = 30
TEXT_PARAMS = ("from", "to", "after", "before", "agent", "holdLongerThan",
               "answerDelayLongerThan", "includeAccountGroups", "excludeAccountGroups",
               "includeDistributionGroups", "excludeDistributionGroups")
GROUP_PARAMS = {"includeAccountGroups": "include_account_groups",
                "excludeAccountGroups": "exclude_account_groups",
                "includeDistributionGroups": "include_distribution_groups",
                "excludeDistributionGroups": "exclude_distribution_groups"}
MAX_PARAM = 1000
HEADERS = {
    "Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Scripts and styles of this gateway only (the branding colours are one inline style);
    # the live refresh talks to /graphql over WebSocket, same origin.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' https: data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
}


def _language(request: Request, principal: Principal | None) -> str:
    wanted = request.query_params.get("lang")
    if wanted in ("fr", "en"):
        return str(wanted)
    if principal is not None and principal.language in ("fr", "en"):
        return principal.language
    return negotiate(request.headers.get("accept-language"))


def _html(layout: Layout, title: str, body: str, status: int = 200, **page: Any) -> Response:
    return HTMLResponse(layout.page(title, body, **page), status_code=status, headers=HEADERS)


def _message(layout: Layout, key: str, status: int) -> Response:
    return _html(layout, T["title"].render(layout.lang),
                 f'<p role="alert">{layout.t(key)}</p>', status)


def _values(params: QueryParams) -> dict[str, str]:
    """The form's text fields as given (for the form and the language switch)."""
    return {k: params[k][:MAX_PARAM] for k in (*TEXT_PARAMS, "accountNumber") if params.get(k)}


def _filter_data(values: dict[str, str], weekdays: list[str], lang: str
                 ) -> tuple[dict[str, Any], dict[str, str]]:
    """The filter as ``filter_data`` gives GraphQL's (dates still optional), and the fields
    that cannot be read."""
    data: dict[str, Any] = {"weekdays": [d for d in weekdays if d in reports.WEEKDAYS]}
    errors: dict[str, str] = {}
    for name, key in (("from", "date_from"), ("to", "date_to")):
        if name in values:
            try:
                data[key] = dt.date.fromisoformat(values[name])
            except ValueError:
                errors[name] = T["bad_date"].render(lang)
    for name in ("after", "before", "agent"):
        if name in values:
            data[name] = values[name]
    for name, key in (("holdLongerThan", "hold_longer_than"),
                      ("answerDelayLongerThan", "answer_delay_longer_than")):
        if name in values:
            try:
                data[key] = float(values[name].replace(",", "."))
            except ValueError:
                errors[name] = T["bad_number"].render(lang)
    for name, key in GROUP_PARAMS.items():
        if name in values:
            groups = _groups(values[name])
            if groups is None:
                errors[name] = T["bad_groups"].render(lang)
            else:
                data[key] = groups
    return data, errors


def _groups(text: str) -> list[int] | None:
    """"1, 2,3" as group numbers; None when not numbers or too many of them."""
    try:
        groups = [int(g) for g in text.replace(";", ",").split(",") if g.strip()]
    except ValueError:
        return None
    return groups if len(groups) <= reports.MAX_FILTER_VALUES else None


async def _branding(reseller_id: int | None, public_url: str) -> Any:
    if reseller_id is None:
        return None
    rows = await Reseller.filter(id=reseller_id).values("id", "name", "branding")
    return branding_of(rows[0]["id"], rows[0]["name"], rows[0]["branding"], public_url) if (
        rows) else None


async def _accounts(principal: Principal) -> list[tuple[int, str]]:
    rows = await accounts_visible(principal).order_by("name", "id").limit(
        MAX_ACCOUNTS_LISTED).values_list("id", "name")
    return [(int(n), str(name)) for n, name in rows]


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN_PATH}?{urlencode({'next': target})}", status_code=303)


async def dashboard_page(request: Request) -> Response:
    principal = await request_principal(request)
    if principal is None:
        return _sign_in_redirect(request)
    lang = _language(request, principal)
    values = _values(request.query_params)
    layout = Layout(lang, await _branding(principal.reseller_id,
                                          request.app.state.settings.public_url), values)
    if principal.role not in VIEWERS or principal.api_token_id is not None:
        return _message(layout, "forbidden", 403)
    staff = principal.role in STAFF_VIEWERS and not principal.direct_access
    number: int | None = principal.account_id
    if values.get("accountNumber"):
        try:
            number = int(values["accountNumber"])
        except ValueError:
            return _message(layout, "not_found", 404)
    chooser = await _accounts(principal) if staff else None
    weekdays = request.query_params.getlist("weekdays")
    if number is None:  # staff, no account chosen yet
        return _html(layout, T["title"].render(lang),
                     filter_form(layout, values, weekdays, {}, chooser))
    try:
        scope = await services.scope_for(principal, number)
    except Problem:
        return _message(layout, "not_found", 404)
    account = await Account.filter(id=number).values("reseller_id", "name")
    layout.branding = await _branding(account[0]["reseller_id"],
                                      request.app.state.settings.public_url)
    data, errors = _filter_data(values, weekdays, lang)
    if not errors:
        if "date_from" not in data and "date_to" not in data:
            data["date_to"] = services.today(scope.zone)
            data["date_from"] = data["date_to"] - dt.timedelta(days=DEFAULT_DAYS - 1)
        try:
            call_filter = reports.statistics_filter(scope, data)
            reports.check_series(call_filter, "DAY")
        except Problem as problem:
            name = str(problem.field[-1]) if problem.field else "from"
            errors[name if name != "interval" else "from"] = problem.message(lang)
    form = filter_form(layout, values, weekdays, errors, chooser)
    title = f'{T["title"].render(lang)} — {account[0]["name"]}'
    if errors:
        return _html(layout, title, form, 400)
    board = await dashboard.dashboard(call_filter, scope.zone)
    period = (f'<p class="period">{call_filter.date_from} — {call_filter.date_to}</p>'
              f'<p class="live" role="status" aria-live="polite" id="live">{layout.t("live")}'
              "</p>")
    return _html(layout, title, form + period + report(layout, board),
                 scripts=(f"{UPLOT}/uPlot.iife.min.js",
                          f"{STATIC}/dashboard.js"),
                 main_attrs=f' data-account="{number}" data-updated="{layout.t("updated")}"')


def _next(request: Request) -> str:
    """Where to go once signed in: the dashboard (an address of this gateway's only)."""
    target = request.query_params.get("next") or PATH
    return target if target.startswith(PATH) and "//" not in target else PATH


async def sign_in_page(request: Request) -> Response:
    principal = await request_principal(request)
    target = _next(request)
    if principal is not None:
        return RedirectResponse(target, status_code=303)
    lang = _language(request, None)
    layout = Layout(lang, None, {"next": target})
    body = (f'<form id="sign-in" data-next="{esc(target)}" data-lang="{lang}" '
            f'data-failed="{layout.t("sign_in_failed")}">'
            f'<div class="field"><label for="f-login">{layout.t("login")}</label>'
            '<input id="f-login" name="login" autocomplete="username" required></div>'
            f'<div class="field"><label for="f-password">{layout.t("password")}</label>'
            '<input id="f-password" name="password" type="password" '
            'autocomplete="current-password" required></div>'
            f'<button type="submit">{layout.t("sign_in")}</button>'
            '<p id="sign-in-error" role="alert" class="error"></p></form>'
            f'<noscript><p>{layout.t("needs_script")}</p></noscript>')
    return _html(layout, T["sign_in"].render(lang), body, scripts=(f"{STATIC}/sign-in.js",))


def routes() -> list[BaseRoute]:
    return [Route(PATH, dashboard_page, methods=["GET"]),
            Route(SIGN_IN_PATH, sign_in_page, methods=["GET"]),
            Mount(STATIC, app=StaticFiles(directory=STATIC_DIR), name="callcenter-static")]
