"""The public pages of the subscription portal: server-rendered HTML (no build step, no CDN,
no JavaScript needed), fr or en (``?lang=`` or Accept-Language), branded with the reseller's
name, logo and colours.

``GET /subscribe``: the portal's home. ``GET|POST /subscribe/<token>``: the first step (the
link's kind decides company or professional); the draft exists once it is sent.
``GET|POST /subscribe/<token>/<key>/<step>``: the following steps of that draft (``key`` is
signed, the form's CSRF token bound to the draft). Every request is rate-limited per client
address and per link; starting a draft and creating the account need the hurdle (a proof of
work the page's small inline script solves, or an arithmetic question without JavaScript).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.api import (
    AccountKind,
    PluginHost,
    Problem,
    Problems,
    Reseller,
    branding_of,
    current_host,
    download_throttled,
    negotiate,
    read_body,
)
from plugins.clients.api import SignupDraft, default_trial_days
from plugins.subscription_portal import errors as e
from plugins.subscription_portal import links, wizard
from plugins.subscription_portal.models import PortalSignup, SubscriptionLink
from plugins.subscription_portal.texts import T

MAX_FORM_BYTES = 32_000
NUMBER_ROWS = 3
TIME_ZONES = ("America/Toronto", "America/Montreal", "America/Halifax", "America/St_Johns",
              "America/Winnipeg", "America/Regina", "America/Edmonton", "America/Vancouver",
              "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
              "Europe/Paris", "UTC")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def _host() -> PluginHost:
    host = current_host()
    assert host is not None, "the pages run in a started gateway"
    return host


def _language(request: Request, form: Mapping[str, str] | None = None) -> str:
    wanted = request.query_params.get("lang") or (form or {}).get("lang")
    if wanted in ("fr", "en"):
        return str(wanted)
    return negotiate(request.headers.get("accept-language"))


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded form (first value of each field); None when too big."""
    body = await read_body(request, MAX_FORM_BYTES)
    if body is None:
        return None
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items() if v}


def _list(request_form: Mapping[str, str], prefix: str) -> list[str]:
    return [v for k, v in sorted(request_form.items()) if k.startswith(prefix) and v]


# --- Layout -------------------------------------------------------------------------------

def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class Page:
    """One response's language, reseller branding and errors (by form field name)."""

    def __init__(self, host: PluginHost, language: str, reseller: Reseller | None = None,
                 errors: Mapping[str, str] | None = None, values: Mapping[str, Any] | None = None
                 ) -> None:
        self.host = host
        self.lang = language
        self.reseller = reseller
        self.errors = dict(errors or {})
        self.values = dict(values or {})

    def t(self, key: str, **values: Any) -> str:
        return T[key].render(self.lang, **values)

    def _branding(self) -> tuple[str, str | None, str, str]:
        if self.reseller is None:
            return self.t("portal"), None, "#1A5276", "#117A65"
        seen = branding_of(self.reseller.id, self.reseller.name, self.reseller.branding,
                           self.host.settings.public_url)
        # The colours go into the page's CSS: only #RRGGBB ones (the core checks them when
        # saved; a row written otherwise falls back to the defaults).
        primary, secondary = str(seen.primary_color or ""), str(seen.secondary_color or "")
        return (seen.reseller_name, seen.logo_url,
                primary if _COLOR.fullmatch(primary) else "#1A5276",
                secondary if _COLOR.fullmatch(secondary) else "#117A65")

    def render(self, title: str, body: str, status: int = 200,
               headers: Mapping[str, str] | None = None) -> HTMLResponse:
        name, logo, primary, secondary = self._branding()
        logo_html = (f'<img src="{esc(logo)}" alt="{esc(name)}" class="logo">' if logo
                     else "")
        summary = ""
        if self.errors:
            # Every error, each linked to its field (those of a field are also beside it).
            summary = (f'<div class="alert" role="alert"><p>{esc(self.t("fix"))}</p><ul>'
                       + "".join(f"<li>{esc(m)}</li>" if k == "_form" else
                                 f'<li><a href="#f-{esc(k)}">{esc(m)}</a></li>'
                                 for k, m in self.errors.items()) + "</ul></div>")
        other = "en" if self.lang == "fr" else "fr"
        document = f"""<!doctype html>
<html lang="{self.lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{esc(title)} - {esc(name)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1b1b}}
header{{background:{primary};color:#fff;padding:1rem 1.5rem;display:flex;gap:1rem;
align-items:center}}
header .logo{{max-height:48px;background:#fff;padding:4px;border-radius:4px}}
main{{max-width:40rem;margin:1.5rem auto;background:#fff;padding:1.5rem;border-radius:8px}}
label{{display:block;font-weight:600;margin-top:1rem}}
input[type=text],input[type=email],input[type=tel],select{{width:100%;padding:.5rem;
box-sizing:border-box;border:1px solid #888;border-radius:4px;font-size:1rem}}
.check label{{display:inline;font-weight:normal}}
.error{{color:#b00020;margin:.25rem 0 0}}
[aria-invalid=true]{{border-color:#b00020;outline:1px solid #b00020}}
.alert{{border:2px solid #b00020;padding:.5rem 1rem;border-radius:4px}}
button{{margin-top:1.5rem;background:{secondary};color:#fff;border:0;padding:.7rem 1.4rem;
font-size:1rem;border-radius:4px;cursor:pointer}}
fieldset{{border:1px solid #ccc;border-radius:4px;margin-top:1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{text-align:left;padding:.3rem;
border-bottom:1px solid #ddd}}.steps{{color:#555}}
</style></head><body>
<header>{logo_html}<strong>{esc(name)}</strong>
<a href="?lang={other}" style="margin-left:auto;color:#fff" lang="{other}">{esc(
            T["other_language"].render(other))}</a></header>
<main><h1>{esc(title)}</h1>{summary}{body}</main></body></html>"""
        return HTMLResponse(document, status_code=status, headers={
            "Cache-Control": "no-store", "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer", **(headers or {})})

    # Fields: a label tied to the input, the error next to it (aria-describedby).
    def _error(self, name: str) -> tuple[str, str]:
        message = self.errors.get(name)
        if not message:
            return "", ""
        ident = f"{name}-error"
        return (f' aria-invalid="true" aria-describedby="{esc(ident)}"',
                f'<p class="error" id="{esc(ident)}">{esc(message)}</p>')

    def input(self, name: str, label: str, kind: str = "text", required: bool = False,
              autocomplete: str = "") -> str:
        attrs, error = self._error(name)
        req = " required" if required else ""
        auto = f' autocomplete="{autocomplete}"' if autocomplete else ""
        star = ' <span aria-hidden="true">*</span>' if required else ""
        return (f'<label for="f-{esc(name)}">{esc(label)}{star}</label>'
                f'<input type="{kind}" id="f-{esc(name)}" name="{esc(name)}" '
                f'value="{esc(self.values.get(name, ""))}"{req}{auto}{attrs}>{error}')

    def select(self, name: str, label: str, options: list[tuple[str, str]],
               required: bool = False) -> str:
        attrs, error = self._error(name)
        current = str(self.values.get(name, ""))
        items = "".join(f'<option value="{esc(v)}"{" selected" if v == current else ""}>'
                        f"{esc(text)}</option>" for v, text in options)
        star = ' <span aria-hidden="true">*</span>' if required else ""
        return (f'<label for="f-{esc(name)}">{esc(label)}{star}</label>'
                f'<select id="f-{esc(name)}" name="{esc(name)}"{attrs}>{items}</select>{error}')

    def checkbox(self, name: str, label: str, value: str = "on") -> str:
        attrs, error = self._error(name)
        checked = " checked" if self.values.get(name) in (value, True) else ""
        return (f'<div class="check"><input type="checkbox" id="f-{esc(name)}" '
                f'name="{esc(name)}" value="{esc(value)}"{checked}{attrs}> '
                f'<label for="f-{esc(name)}">{esc(label)}</label>{error}</div>')

    def hurdle(self, hurdle: wizard.Hurdle) -> str:
        """The proof of work (solved by the inline script) and, for a page without
        JavaScript, the arithmetic question."""
        attrs, error = self._error("answer")
        a, b = hurdle.question
        script = "" if hurdle.bits <= 0 else f"""<script>
(function(){{var f=document.currentScript.closest('form');
document.addEventListener('DOMContentLoaded',async function(){{
if(!window.crypto||!crypto.subtle||!window.TextEncoder)return;
var c=f.challenge.value,bits={hurdle.bits},enc=new TextEncoder();
var box=document.getElementById('hurdle-q');box.hidden=true;f.answer.required=false;
var btn=f.querySelector('button[type=submit]');btn.disabled=true;
for(var n=0;;n++){{var d=new Uint8Array(await crypto.subtle.digest('SHA-256',
enc.encode(c+':'+n)));var z=0;for(var i=0;i<d.length;i++){{if(d[i]===0){{z+=8;continue}}
z+=Math.clz32(d[i])-24;break}}if(z>=bits){{f.pow.value=String(n);break}}}}
btn.disabled=false;f.dataset.solved='1';}});}})();
</script>"""
        question = (f'<div id="hurdle-q"><label for="f-answer">'
                    f'{esc(self.t("question", a=a, b=b))}</label>'
                    f'<input type="text" inputmode="numeric" id="f-answer" name="answer" '
                    f'value="" required{attrs}>{error}</div>') if hurdle.bits > 0 else ""
        return (f'<input type="hidden" name="challenge" value="{esc(hurdle.challenge)}">'
                f'<input type="hidden" name="pow" value="">{question}{script}')


def _field_name(problem: Problem) -> str:
    """The form field a problem is about: its path without ``input`` and the step."""
    path = [str(p) for p in (problem.field or [])]
    if path[:1] == ["input"]:
        path = path[2:]
    if not path:
        return "_form"
    if path[0].isdigit():  # numbers: [index, field]
        return f"{path[1] if len(path) > 1 else 'areaCode'}.{path[0]}"
    return path[0] if path[0] != "card" else "_form"


def _errors(exc: Problem | Problems, language: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for problem in exc.problems:
        out.setdefault(_field_name(problem), problem.message(language))
    return out


# --- Responses ----------------------------------------------------------------------------

async def _throttled(request: Request, token: str, page: Page) -> Response | None:
    config = wizard.config_of(page.host)
    wait = await download_throttled(
        request, "subscription_portal", token, lifetime=dt.timedelta(hours=1),
        per_token=config.per_link_per_hour, per_address_per_minute=config.per_address_per_minute)
    if wait is None:
        return None
    return page.render(page.t("busy"), f"<p>{esc(T_RATE(page.lang, wait))}</p>", status=429,
                       headers={"Retry-After": str(wait)})


def T_RATE(language: str, seconds: int) -> str:  # noqa: N802
    return e.RATE_LIMITED.render(language, seconds=seconds)


def _gone(page: Page, text: Any) -> HTMLResponse:
    return page.render(page.t("unavailable"), f"<p>{esc(text.render(page.lang))}</p>",
                       status=404)


async def home(request: Request) -> Response:
    page = Page(_host(), _language(request))
    return page.render(page.t("portal"), f"<p>{esc(page.t('home'))}</p>")


def _action(token: str, lang: str, key: str | None = None, step: str | None = None) -> str:
    path = f"{links.ROUTE}/{quote(token)}"
    if key is not None:
        path += f"/{quote(key)}/{step}"
    return f"{path}?lang={lang}"


def _steps_line(page: Page, step: str) -> str:
    index = wizard.STEPS.index(step) + 1
    return (f'<p class="steps">{esc(page.t("step_of", n=index, total=len(wizard.STEPS)))}'
            "</p>")


def _form_html(page: Page, action: str, csrf: str, inner: str, button: str,
               hurdle: wizard.Hurdle | None = None) -> str:
    return (f'<form method="post" action="{esc(action)}" novalidate>'
            f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
            f'<input type="hidden" name="lang" value="{page.lang}">{inner}'
            f'{page.hurdle(hurdle) if hurdle else ""}'
            f'<button type="submit">{esc(button)}</button></form>')


def _customer_fields(page: Page, kind: AccountKind) -> str:
    company = kind == AccountKind.COMPANY
    languages = [("fr", "Français"), ("en", "English")]
    return "".join([
        page.input("name", page.t("company_name" if company else "your_name"), required=True,
                   autocomplete="organization" if company else "name"),
        page.input("email", page.t("email"), "email", required=True, autocomplete="email"),
        page.input("phoneNumber", page.t("phone"), "tel", autocomplete="tel"),
        page.input("address", page.t("address"), autocomplete="street-address"),
        page.input("city", page.t("city"), autocomplete="address-level2"),
        page.input("state", page.t("state"), autocomplete="address-level1"),
        page.input("postalCode", page.t("postal_code"), autocomplete="postal-code"),
        page.input("country", page.t("country"), autocomplete="country"),
        page.select("language", page.t("language"), languages),
        page.select("timeZone", page.t("time_zone"), [(z, z) for z in TIME_ZONES],
                    required=True),
    ])


def _customer_value(form: Mapping[str, str]) -> dict[str, Any]:
    keys = {"name": "name", "email": "email", "phoneNumber": "phone_number",
            "address": "address", "city": "city", "state": "state",
            "postalCode": "postal_code", "country": "country", "language": "language",
            "timeZone": "time_zone"}
    return {python: form[name] for name, python in keys.items()
            if form.get(name, "").strip()}


async def _link(request: Request, page: Page) -> tuple[SubscriptionLink | None, Response | None]:
    token = request.path_params["token"]
    limited = await _throttled(request, token, page)
    if limited is not None:
        return None, limited
    link = await links.link_for_token(page.host, token)
    if link is None:
        return None, _gone(page, e.LINK_UNUSABLE)
    page.reseller = await Reseller.get(id=link.reseller_id)
    if (request.query_params.get("lang") not in ("fr", "en")
            and not request.headers.get("accept-language")
            and page.reseller.default_language in ("fr", "en")):
        page.lang = page.reseller.default_language  # nothing asked: the reseller's language
    return link, None


async def first_step(request: Request) -> Response:
    host = _host()
    form = await _form(request) if request.method == "POST" else {}
    if form is None:
        return Response(status_code=413)
    page = Page(host, _language(request, form), values={"timeZone": "America/Toronto",
                                                          "country": "CA"})
    link, refusal = await _link(request, page)
    if refusal is not None or link is None:
        return refusal or _gone(page, e.LINK_UNUSABLE)
    token = request.path_params["token"]
    kind = AccountKind(link.kind)
    scope = wizard.link_scope(link)
    if request.method == "POST":
        page.values = dict(form)
        if not wizard.csrf_ok(host, scope, form.get("csrf")):
            page.errors["_form"] = e.FORM_EXPIRED.render(page.lang)
        elif (problem := await wizard.check_hurdle(host, scope, form)) is not None:
            page.errors[_field_name(problem) if problem.field != ["hurdle"] else "_form"] = \
                problem.message(page.lang)
        else:
            try:
                signup = await wizard.start(host, link, _customer_value(form), page.lang)
            except (Problem, Problems) as exc:
                page.errors = _errors(exc, page.lang)
            else:
                return RedirectResponse(_action(token, page.lang, wizard.draft_key(host, signup),
                                                "administrator"), status_code=303)
    title = page.t("title_company" if kind == AccountKind.COMPANY else "title_professional")
    body = (_steps_line(page, "customer")
            + f"<p>{esc(page.t('intro', reseller=page.reseller.name if page.reseller else ''))}"
            "</p>"
            + _form_html(page, _action(token, page.lang), wizard.csrf_token(host, scope),
                         _customer_fields(page, kind), page.t("next"),
                         wizard.new_hurdle(host, scope)))
    return page.render(title, body, status=400 if page.errors else 200)


# --- The following steps ------------------------------------------------------------------

async def _offer(host: PluginHost, reseller_id: int, language: str) -> list[dict[str, Any]] | None:
    """The reseller's offer from a billing plugin (``gateway_provider(kind="signup_offer")``:
    ``async (reseller_id, language) -> [{code, name, kind, price, currency}]``), else None
    (no billing plugin, or a reseller that sells nothing yet): the plan and options are then
    typed, as on the staff wizard without an offer."""
    provider = host.pm.hook.gateway_provider(gateway=host, kind="signup_offer", name="default")
    if provider is None:
        return None
    items: list[dict[str, Any]] = await provider(reseller_id, language)
    return items or None


def _price(page: Page, item: Mapping[str, Any]) -> str:
    price = item.get("price")
    if price is None:
        return ""
    amount = Decimal(price).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}".replace(",", " ")
    if page.lang == "fr":
        text = text.replace(".", ",")
    return f"{text} {item.get('currency') or ''}".strip()


def _step_fields(page: Page, step: str, kind: AccountKind, offer: list[dict[str, Any]] | None,
                 draft: SignupDraft) -> str:
    if step == "customer":
        return _customer_fields(page, kind)
    if step == "administrator":
        return (f"<p>{esc(page.t('admin_intro'))}</p>"
                + page.input("firstName", page.t("first_name"), required=True,
                             autocomplete="given-name")
                + page.input("lastName", page.t("last_name"), required=True,
                             autocomplete="family-name")
                + page.input("email", page.t("admin_email"), "email", autocomplete="email")
                + page.select("language", page.t("language"),
                              [("fr", "Français"), ("en", "English")]))
    if step == "subscription":
        if offer is None:
            return (page.input("plan", page.t("plan"))
                    + page.input("options", page.t("options_free")))
        plans = [(str(i["code"]), f"{i['name']} - {_price(page, i)}") for i in offer
                 if i.get("kind") == "PLAN"]
        options = [i for i in offer if i.get("kind") in ("OPTION", "SERVICE_FEE")]
        boxes = "".join(page.checkbox(f"option.{i['code']}",
                                      f"{i['name']} - {_price(page, i)}", str(i["code"]))
                        for i in options)
        return (page.select("plan", page.t("plan"), [("", page.t("choose")), *plans])
                + (f"<fieldset><legend>{esc(page.t('options'))}</legend>{boxes}</fieldset>"
                   if options else ""))
    if step == "numbers":
        types = [("", page.t("no_number")), ("LOCAL", page.t("local")),
                 ("TOLL_FREE", page.t("toll_free")), ("INTERNATIONAL", page.t("international"))]
        rows = "".join(
            f"<fieldset><legend>{esc(page.t('number_n', n=i + 1))}</legend>"
            + page.select(f"type.{i}", page.t("number_type"), types)
            + page.input(f"areaCode.{i}", page.t("area_code")) + "</fieldset>"
            for i in range(NUMBER_ROWS))
        pooled = page.host.pm.hook.gateway_provider(gateway=page.host, kind="number_pool",
                                                    name="default") is not None
        intro = page.t("numbers_pool_intro" if pooled else "numbers_intro")
        return f"<p>{esc(intro)}</p>{rows}"
    if step == "billing":
        return (f"<p>{esc(page.t('billing_intro'))}</p>"
                + page.select("paymentMethod", page.t("payment_method"),
                              [("MONTHLY_INVOICE", page.t("monthly_invoice"))], required=True)
                + page.input("invoiceContact", page.t("invoice_contact"))
                + page.input("invoiceEmail", page.t("invoice_email"), "email", required=True)
                + page.checkbox("terms", page.t("terms")))
    return ""


def _step_value(step: str, form: Mapping[str, str]) -> Any:
    if step == "customer":
        return _customer_value(form)
    if step == "administrator":
        keys = {"firstName": "first_name", "lastName": "last_name", "email": "email",
                "language": "language"}
        return {py: form[name] for name, py in keys.items() if form.get(name, "").strip()}
    if step == "subscription":
        options = _list(form, "option.")
        if "options" in form:  # typed, comma-separated
            options += [o.strip() for o in form["options"].split(",") if o.strip()]
        value: dict[str, Any] = {"options": options}
        if form.get("plan", "").strip():
            value["plan"] = form["plan"].strip()
        return value
    if step == "numbers":
        return [{"action": "ORDER", "type": form[f"type.{i}"],
                 "area_code": form.get(f"areaCode.{i}", "").strip() or None}
                for i in range(NUMBER_ROWS)
                if form.get(f"type.{i}") in ("LOCAL", "TOLL_FREE", "INTERNATIONAL")]
    if step == "billing":
        value = {"payment_method": "MONTHLY_INVOICE"}
        for name, py in (("invoiceContact", "invoice_contact"), ("invoiceEmail",
                                                                  "invoice_email")):
            if form.get(name, "").strip():
                value[py] = form[name]
        return value
    return None


def _values_of(step: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values from a saved step (going back shows what was saved)."""
    saved = data.get(step)
    if step == "numbers":
        out: dict[str, Any] = {}
        for i, number in enumerate(saved or []):
            out[f"type.{i}"] = number.get("type")
            out[f"areaCode.{i}"] = number.get("area_code") or ""
        return out
    if not isinstance(saved, dict):
        return {}
    names = {"phone_number": "phoneNumber", "postal_code": "postalCode",
             "time_zone": "timeZone", "first_name": "firstName", "last_name": "lastName",
             "payment_method": "paymentMethod", "invoice_contact": "invoiceContact",
             "invoice_email": "invoiceEmail"}
    out = {str(names.get(k) or k): v for k, v in saved.items()
           if not isinstance(v, list | dict)}
    if step == "subscription":
        for option in saved.get("options") or []:
            out[f"option.{option}"] = option
        out["options"] = ", ".join(saved.get("options") or [])
    return out


def _status_note(page: Page, data: Mapping[str, Any]) -> str:
    """How the account will start, as the reseller's portal settings say (kept on the draft's
    activation step when it was started)."""
    activation = data.get("activation") or {}
    days = activation.get("trial_days")
    if activation.get("billing_status") == "IN_PRODUCTION":
        return page.t("production_days_note", days=days) if days else page.t("production_note")
    return page.t("trial_note", days=days or default_trial_days(page.host))


async def _preview(page: Page, offer: list[dict[str, Any]] | None,
                   data: Mapping[str, Any]) -> str:
    """The chosen plan and options, priced from the offer when there is one."""
    subscription = data.get("subscription") or {}
    chosen = [str(subscription["plan"])] if subscription.get("plan") else []
    chosen += [str(o) for o in subscription.get("options") or []]
    by_code = {str(i["code"]).upper(): i for i in offer or []}
    rows = []
    total = Decimal(0)
    currency = ""
    for code in chosen:
        item = by_code.get(code.upper())
        name = item["name"] if item else code
        price = _price(page, item) if item else ""
        if item and item.get("price") is not None:
            total += Decimal(item["price"])
            currency = str(item.get("currency") or "")
        rows.append(f"<tr><td>{esc(name)}</td><td>{esc(price)}</td></tr>")
    if not rows:
        rows.append(f"<tr><td colspan=2>{esc(page.t('nothing_chosen'))}</td></tr>")
    if currency:
        rows.append(f"<tr><th>{esc(page.t('monthly_total'))}</th><th>"
                    f"{esc(_price(page, {'price': total, 'currency': currency}))}</th></tr>")
    return (f"<h2>{esc(page.t('your_subscription'))}</h2><table>"
            f"<caption class='steps'>{esc(_status_note(page, data))}</caption>"
            f"{''.join(rows)}</table>")


def _summary(page: Page, data: Mapping[str, Any]) -> str:
    customer = data.get("customer") or {}
    admin = data.get("administrator") or {}
    numbers = data.get("numbers") or []
    items = [(page.t("company_name"), customer.get("name")),
             (page.t("email"), customer.get("email")),
             (page.t("administrator"),
              f"{admin.get('first_name', '')} {admin.get('last_name', '')}".strip()),
             (page.t("numbers"), ", ".join(
                 f"{page.t(n['type'].lower())} {n.get('area_code') or ''}".strip()
                 for n in numbers) or "-")]
    return "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
                               for k, v in items) + "</table>"


async def _post_step(page: Page, form: dict[str, str], signup: PortalSignup,
                     draft: SignupDraft, step: str, token: str, key: str) -> Response | None:
    """A step's form sent: the next page, the account created, or None with page.errors."""
    host = page.host
    scope = wizard.draft_scope(signup)
    page.values = dict(form)
    if not wizard.csrf_ok(host, scope, form.get("csrf")):
        page.errors["_form"] = e.FORM_EXPIRED.render(page.lang)
        return None
    if step != "confirm":
        try:
            await wizard.save(host, signup, draft, step, _step_value(step, form),
                              terms_accepted=form.get("terms") == "on")
        except (Problem, Problems) as exc:
            page.errors = _errors(exc, page.lang)
            return None
        following = wizard.STEPS[wizard.STEPS.index(step) + 1]
        return RedirectResponse(_action(token, page.lang, key, following), 303)
    problem = await wizard.check_hurdle(host, scope, form)
    if problem is not None:
        page.errors["answer" if problem.field == ["answer"] else "_form"] = \
            problem.message(page.lang)
        return None
    missing = wizard.first_missing_step(signup, draft)
    if missing is not None:
        return RedirectResponse(_action(token, page.lang, key, missing), 303)
    try:
        account = await wizard.finish(host, signup, draft)
    except (Problem, Problems) as exc:
        errors = _errors(exc, page.lang)
        if any(name.startswith("areaCode.") for name in errors):
            page.errors = errors  # the pool ran out meanwhile: shown on the numbers step
        else:
            page.errors = {"_form": " ".join(errors.values())}
        return None
    return page.render(page.t("done_title"), (
        f'<p role="status">{esc(page.t("done", number=account.id))}</p>'
        f"<p>{esc(page.t('done_email'))}</p>"))


async def step_page(request: Request) -> Response:
    host = _host()
    form = await _form(request) if request.method == "POST" else {}
    if form is None:
        return Response(status_code=413)
    page = Page(host, _language(request, form))
    step = request.path_params["step"]
    if step not in wizard.STEPS:
        return _gone(page, e.SIGNUP_EXPIRED)
    link, refusal = await _link(request, page)
    if refusal is not None or link is None:
        return refusal or _gone(page, e.LINK_UNUSABLE)
    token, key = request.path_params["token"], request.path_params["key"]
    found = await wizard.signup_for_key(host, link, key)
    if found is None:
        return _gone(page, e.SIGNUP_EXPIRED)
    signup, draft = found
    kind = AccountKind(link.kind)
    scope = wizard.draft_scope(signup)
    offer = await _offer(host, link.reseller_id, page.lang) if step in (
        "subscription", "confirm") else None
    page.values = _values_of(step, draft.data or {})
    if step == "billing" and signup.terms_accepted_at is not None:
        page.values["terms"] = "on"
    if request.method == "POST":
        done = await _post_step(page, form, signup, draft, step, token, key)
        if done is not None:
            return done
        if step == "confirm" and any(name.startswith("areaCode.") for name in page.errors):
            step = "numbers"  # nothing was created: the numbers to change, errors beside them
            page.values = _values_of(step, draft.data or {})
    titles = {"customer": "title_customer", "administrator": "title_administrator",
              "subscription": "title_subscription", "numbers": "title_numbers",
              "billing": "title_billing", "confirm": "title_confirm"}
    index = wizard.STEPS.index(step)
    back = ("" if index == 0 else
            f'<p><a href="{esc(_action(token, page.lang, key, wizard.STEPS[index - 1]))}">'
            f"{esc(page.t('back'))}</a></p>")
    if step == "confirm":
        inner = _summary(page, draft.data or {}) + await _preview(page, offer, draft.data or {})
        body = (_steps_line(page, step) + _form_html(
            page, _action(token, page.lang, key, step), wizard.csrf_token(host, scope), inner,
            page.t("create"), wizard.new_hurdle(host, scope)) + back)
    else:
        inner = _step_fields(page, step, kind, offer, draft)
        if step == "subscription":
            inner += await _preview(page, offer, draft.data or {})
        body = (_steps_line(page, step) + _form_html(
            page, _action(token, page.lang, key, step), wizard.csrf_token(host, scope), inner,
            page.t("next")) + back)
    return page.render(page.t(titles[step]), body, status=400 if page.errors else 200)


def routes() -> list[BaseRoute]:
    return [
        Route(links.ROUTE, home, methods=["GET"]),
        Route(f"{links.ROUTE}/{{token}}", first_step, methods=["GET", "POST"]),
        Route(f"{links.ROUTE}/{{token}}/{{key}}/{{step}}", step_page, methods=["GET", "POST"]),
    ]

