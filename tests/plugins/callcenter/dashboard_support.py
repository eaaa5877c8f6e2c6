"""Reading the dashboard page's server-rendered tables (what a browser without JavaScript
shows, and what the charts are drawn from), and the GraphQL answers they must match."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.conftest import Gateway

STATISTICS = """query D($f: CallStatisticsFilter!) { callStatistics(filter: $f) {
  totalInbound { value } agentCalls { value } abandoned { value percent }
  answered { value } answeredWithin30s { value percent } averageAnswerWait { value } } }"""
SERIES = """query S($f: CallStatisticsFilter!) {
  callStatisticsSeries(filter: $f, interval: DAY) {
    start statistics { agentCalls { value } abandoned { value percent } } } }"""
HOURS = """query H($f: CallStatisticsFilter!) {
  callStatisticsSeries(filter: $f, interval: HOUR) {
    start statistics { totalInbound { value } answered { value } } } }"""


def table(page: str, name: str) -> list[tuple[str, list[float | None]]]:
    """The rows of ``<table id="t-<name>">``: each row's header text and its cells' exact
    figures (``data-value``; None for an empty one)."""
    found = re.search(rf'<table id="t-{name}"[^>]*>(.*?)</table>', page, re.S)
    assert found, f"no table {name}"
    body = found[1].split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        head = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S)
        values = [float(v) if v else None for v in re.findall(r'<td data-value="([^"]*)"', row)]
        rows.append((html.unescape(head[1]) if head else "", values))
    return rows


async def answer(gateway: Gateway, query: str, headers: dict[str, str],
                 **filter: Any) -> Any:
    response = await gateway.graphql(query, {"f": filter}, **headers)
    assert "errors" not in response, response["errors"]
    return next(iter(response["data"].values()))
