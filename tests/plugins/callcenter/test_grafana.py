"""Issue 23, the committed Grafana dashboard (deploy/grafana/call-center.json): its structure as
Grafana and the Infinity data source read it, and each of its queries (taken from the JSON,
Grafana's variables filled in) run through the real app on the demo data, every column it
charts found in the answer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from graphql import parse, validate

from gateway.identity.demo import load_demo_data
from gateway.identity.models import Account, User
from plugins.callcenter.demo import DEMO_ACCOUNT, demo_data
from plugins.callcenter.importer import Importer, read_records
from tests.conftest import Gateway
from tests.support.identity_factory import bearer_for

DASHBOARD = Path(__file__).resolve().parents[3] / "deploy" / "grafana" / "call-center.json"
INFINITY = "yesoreyeram-infinity-datasource"


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def targets() -> list[dict[str, Any]]:
    return [t for panel in dashboard()["panels"] for t in panel["targets"]]


def pick(value: Any, selector: str) -> Any:
    for key in selector.split("."):
        value = value[key] if isinstance(value, dict) else None
    return value


def test_the_dashboard_is_an_importable_grafana_dashboard(gateway: Gateway) -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and isinstance(board["schemaVersion"], int)
    assert [i["pluginId"] for i in board["__inputs"]] == [INFINITY]
    names = {v["name"] for v in board["templating"]["list"]}
    assert names == {"account", "interval"}
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)) >= 4
    schema = gateway.app.state.schema._schema
    for panel in board["panels"]:
        assert panel["type"] in ("timeseries", "stat", "table")
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        for target in panel["targets"]:
            assert target["datasource"]["type"] == INFINITY
            assert (target["type"], target["source"], target["url"]) == (
                "graphql", "url", "/graphql")
            options = target["url_options"]
            assert options["method"] == "POST" and options["body_type"] == "graphql"
            document = parse(options["body_graphql_query"])
            assert validate(schema, document) == []
            assert target["root_selector"].startswith("data.")
            assert all({"selector", "text", "type"} <= set(c) for c in target["columns"])


def variables(target: dict[str, Any], account: int, start: dt.date, end: dt.date,
              interval: str) -> dict[str, Any]:
    """Grafana's interpolation of the target's variables."""
    text = target["url_options"]["body_graphql_variables"]
    text = (text.replace("${account}", str(account)).replace("${interval}", interval)
            .replace("${__from:date:YYYY-MM-DD}", start.isoformat())
            .replace("${__to:date:YYYY-MM-DD}", end.isoformat()))
    assert "$" not in text, text
    values: dict[str, Any] = json.loads(text)
    return values


async def test_its_queries_answer_on_the_demo_data(gateway: Gateway) -> None:
    host = gateway.app.state.host
    await load_demo_data(host, "small")  # people and accounts (`gateway demo`)
    await demo_data(host, "small")  # then the calls' file, loaded as `callcenter import` does
    path = Path(host.settings.var_dir) / "demo" / "callcenter.jsonl"
    with path.open(encoding="utf-8") as records:
        report = await Importer().run(read_records(records, "jsonl"))
    assert report.calls > 1000 and not report.errors
    account = await Account.get(name=DEMO_ACCOUNT)
    headers = await bearer_for(await User.get(login="reseller@alpha.example"))
    end = dt.date.today()
    start = end - dt.timedelta(days=29)
    answers: dict[str, Any] = {}
    for n, target in enumerate(targets()):
        query = target["url_options"]["body_graphql_query"]
        values = variables(target, account.id, start, end, "DAY")
        response = await gateway.graphql(query, values, **headers)
        assert "errors" not in response, response["errors"]
        rows = pick(response, target["root_selector"])
        rows = rows if isinstance(rows, list) else [rows]
        assert rows, target["root_selector"]
        for column in target["columns"]:
            found = [pick(row, column["selector"]) for row in rows]
            assert any(v is not None for v in found), column
            if column["type"] == "timestamp":
                assert all(dt.datetime.fromisoformat(v).tzinfo for v in found)
        answers[f"{n}:{query.split()[1]}"] = rows
    # The series adds up to the period's total, and the days are all there.
    series = next(rows for key, rows in answers.items() if "CallCenterSeries" in key)
    totals = next(rows for key, rows in answers.items() if "CallCenterTotals" in key)
    assert len(series) == 30
    assert sum(r["statistics"]["totalInbound"]["value"] for r in series) == totals[0][
        "totalInbound"]["value"] > 0
