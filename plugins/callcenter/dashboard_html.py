"""The dashboard page's HTML, server-rendered: the layout (the reseller's logo and colours, the
language switch), the filter form (a GET form: nothing to forge) and one real ``<table>`` per
chart; ``static/dashboard.js`` draws the charts from those tables (``data-value`` holds each
cell's exact figure) and refreshes them live. Without JavaScript the tables are the page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from gateway.api import Branding
from plugins.callcenter import dashboard, reports
from plugins.callcenter import statistics as stats
from plugins.callcenter.dashboard_texts import WEEKDAY_NAMES, T

STATIC = "/callcenter/static"
UPLOT = f"{STATIC}/vendor/uplot-1.6.32"
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
DEFAULT_COLORS = ("#1A5276", "#117A65")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def number(value: float | None, language: str, decimals: int = 1) -> str:
    """A figure as people read it in ``language`` (a comma in French); a dash for none."""
    if value is None:
        return "—"
    text = str(int(value)) if float(value).is_integer() else f"{value:.{decimals}f}"
    return text.replace(".", ",") if language == "fr" else text


def cell(value: float | None, language: str) -> str:
    raw = "" if value is None else repr(float(value))
    return f'<td data-value="{raw}">{esc(number(value, language))}</td>'


class Layout:
    """One response's language, branding and query (for the language switch)."""

    def __init__(self, language: str, branding: Branding | None, query: Mapping[str, str]
                 ) -> None:
        self.lang = language
        self.branding = branding
        self.query = dict(query)

    def t(self, key: str, **values: Any) -> str:
        return esc(T[key].render(self.lang, **values))

    def _colors(self) -> tuple[str, str]:
        if self.branding is None:
            return DEFAULT_COLORS
        primary = str(self.branding.primary_color or "")
        secondary = str(self.branding.secondary_color or "")
        # Only #RRGGBB goes into the CSS (the core checks colours when saved).
        return (primary if _COLOR.fullmatch(primary) else DEFAULT_COLORS[0],
                secondary if _COLOR.fullmatch(secondary) else DEFAULT_COLORS[1])

    def page(self, title: str, body: str, *, scripts: Sequence[str] = (),
             main_attrs: str = "") -> str:
        primary, secondary = self._colors()
        name = self.branding.reseller_name if self.branding else ""
        logo = self.branding.logo_url if self.branding else None
        logo_html = f'<img src="{esc(logo)}" alt="{esc(name)}" class="logo">' if logo else ""
        other = "en" if self.lang == "fr" else "fr"
        switch = "?" + urlencode({**self.query, "lang": other})
        tags = "".join(f'<script src="{esc(s)}" defer></script>' for s in scripts)
        return f"""<!doctype html>
<html lang="{self.lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{esc(title)}{" - " + esc(name) if name else ""}</title>
<link rel="stylesheet" href="{UPLOT}/uPlot.min.css">
<link rel="stylesheet" href="{STATIC}/dashboard.css">
<style>:root{{--primary:{primary};--secondary:{secondary}}}</style>{tags}</head><body>
<header>{logo_html}<strong>{esc(name)}</strong>
<a href="{esc(switch)}" lang="{other}" class="switch">{self.t("other_language")}</a>
</header><main{main_attrs}><h1>{esc(title)}</h1>{body}</main></body></html>"""


def _field(layout: Layout, name: str, kind: str, values: Mapping[str, str],
           errors: Mapping[str, str], key: str) -> str:
    error = errors.get(name)
    attrs = (f' aria-invalid="true" aria-describedby="e-{name}"' if error else "")
    message = f'<p class="error" id="e-{name}">{esc(error)}</p>' if error else ""
    return (f'<div class="field"><label for="f-{name}">{layout.t(key)}</label>'
            f'<input type="{kind}" id="f-{name}" name="{name}" '
            f'value="{esc(values.get(name, ""))}"{attrs}>{message}</div>')


def filter_form(layout: Layout, values: Mapping[str, str], weekdays: Iterable[str],
                errors: Mapping[str, str], accounts: list[tuple[int, str]] | None) -> str:
    """The statistics report's filters. ``accounts``: the choice staff have (None: the
    caller's own account, no choice)."""
    parts = []
    if accounts is not None:
        current = values.get("accountNumber", "")
        options = "".join(
            f'<option value="{n}"{" selected" if str(n) == current else ""}>'
            f"{esc(name)} ({n})</option>" for n, name in accounts)
        parts.append(f'<div class="field"><label for="f-accountNumber">{layout.t("account")}'
                     f'</label><select id="f-accountNumber" name="accountNumber">'
                     f'<option value="">{layout.t("choose_account")}</option>{options}'
                     "</select></div>")
    for name, kind, key in (
            ("from", "date", "from"), ("to", "date", "to"), ("after", "time", "after"),
            ("before", "time", "before"), ("agent", "text", "agent"),
            ("holdLongerThan", "number", "hold_longer_than"),
            ("answerDelayLongerThan", "number", "answer_delay_longer_than"),
            ("includeAccountGroups", "text", "include_account_groups"),
            ("excludeAccountGroups", "text", "exclude_account_groups"),
            ("includeDistributionGroups", "text", "include_distribution_groups"),
            ("excludeDistributionGroups", "text", "exclude_distribution_groups")):
        parts.append(_field(layout, name, kind, values, errors, key))
    chosen = set(weekdays)
    boxes = "".join(
        f'<label class="day"><input type="checkbox" name="weekdays" value="{code}"'
        f'{" checked" if code in chosen else ""}> {esc(label)}</label>'
        for code, label in zip(reports.WEEKDAYS, WEEKDAY_NAMES[layout.lang], strict=True))
    parts.append(f'<fieldset class="days"><legend>{layout.t("weekdays")}</legend>{boxes}'
                 "</fieldset>")
    summary = ""
    if errors:
        summary = (f'<div class="alert" role="alert"><p>{layout.t("fix")}</p><ul>'
                   + "".join(f'<li><a href="#f-{esc(k)}">{esc(m)}</a></li>'
                             for k, m in errors.items()) + "</ul></div>")
    return (f'{summary}<form method="get" class="filters" aria-labelledby="h-filters">'
            f'<h2 id="h-filters">{layout.t("filters")}</h2>'
            f'<input type="hidden" name="lang" value="{layout.lang}">{"".join(parts)}'
            f'<button type="submit">{layout.t("show")}</button></form>')


def _section(layout: Layout, key: str, chart: str | None, headers: Sequence[str],
             rows: Iterable[str], note: str = "") -> str:
    heads = "".join(f'<th scope="col">{layout.t(h)}</th>' for h in headers)
    drawn = (f'<div class="chart" id="c-{key}" role="img" aria-label="{layout.t("chart")}">'
             "</div>" if chart else "")
    kind = f' data-chart="{chart}"' if chart else ""
    return (f'<section aria-labelledby="h-{key}"><h2 id="h-{key}">{layout.t(key)}</h2>{drawn}'
            f'<table id="t-{key}"{kind}><caption>{layout.t(key)}</caption><thead><tr>{heads}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table>{note}</section>')


def _answer_label(layout: Layout, item: dashboard.AnswerClass) -> str:
    if item.low == 0:
        return layout.t("up_to", high=item.high)
    if item.high is None:
        return layout.t("over", low=item.low)
    return layout.t("between", low=item.low, high=item.high)


def report(layout: Layout, board: dashboard.Dashboard) -> str:
    """Every table (and chart placeholder) of the page, in ``<div id="report">``: what a live
    refresh replaces."""
    lang = layout.lang
    m = board.totals
    summary = [f'<tr data-metric="{name}"><th scope="row">'
               f"{esc(reports.METRIC_LABELS[name].render(lang))}</th>"
               f"{cell(m[name].value, lang)}{cell(m[name].percent, lang)}</tr>"
               for name in stats.METRICS]
    hours = [f'<tr><th scope="row" data-value="{h}">{h:02d} h</th>'
             f'{cell(x["total_inbound"].value, lang)}{cell(x["answered"].value, lang)}'
             f'{cell(x["abandoned"].value, lang)}</tr>' for h, x in enumerate(board.hours)]
    answers = [f'<tr><th scope="row">{_answer_label(layout, a)}</th>{cell(a.calls, lang)}</tr>'
               for a in board.answer_times]
    days = [f'<tr><th scope="row">{b.start.date().isoformat()}</th>'
            f'{cell(b.metrics["agent_calls"].value, lang)}'
            f'{cell(b.metrics["abandoned"].value, lang)}'
            f'{cell(b.metrics["abandoned"].percent, lang)}</tr>' for b in board.days]
    agents = [f'<tr><th scope="row">{esc(name) or layout.t("no_agent")}</th>'
              f'{cell(x["total_inbound"].value, lang)}{cell(x["answered"].value, lang)}'
              f'{cell(x["answered_within_30s"].percent, lang)}'
              f'{cell(x["average_answer_wait"].value, lang)}'
              f'{cell(x["average_work_time"].value, lang)}</tr>' for name, x in board.agents]
    more = (f'<p class="note">{layout.t("more_agents", count=dashboard.MAX_AGENTS)}</p>'
            if board.more_agents else "")
    return "".join((
        '<div id="report">',
        _section(layout, "summary", None, ("metric", "value", "percent"), summary),
        _section(layout, "by_hour", "bars", ("hour", "inbound", "answered", "abandoned"), hours),
        _section(layout, "answer_times", "bars", ("wait", "calls"), answers),
        _section(layout, "abandon_rate", "line",
                 ("day", "agent_calls", "abandoned", "abandon_percent"), days),
        _section(layout, "agents", "bars", ("agent", "inbound", "answered", "within_30s",
                                            "answer_wait", "work_time"), agents, more),
        "</div>"))
