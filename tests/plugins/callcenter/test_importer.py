"""Getting records in: JSON lines and CSV, idempotent by call_id, bad lines reported by line
number while the rest loads, the CLI with its progress bar, and the HTTP upload's tenancy."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

from gateway import db
from gateway.plugins import PluginHost
from plugins.callcenter.commands import import_command
from plugins.callcenter.importer import import_text
from plugins.callcenter.models import Call, TakenMessage
from tests.conftest import Gateway, make_settings, truncate_all
from tests.plugins.callcenter.factory import call, jsonl
from tests.support.identity_factory import bearer_for, make_tenant

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
RECENT = (NOW - dt.timedelta(days=1)).isoformat()


async def test_json_lines_load_and_a_second_import_updates(gateway: Gateway) -> None:
    tenant = await make_tenant()
    first = call(tenant.company, RECENT, call_id="X1", holds=[12, 3], transfers=[30])
    message = {"message_id": "M1", "account_number": tenant.company.id, "call_id": "X1",
               "agent": "eld", "taken_at": RECENT, "body": "RENDEZ-VOUS",
               "history": [{"at": RECENT, "event": "Taken"}]}
    report = await import_text(jsonl([first, message]), "jsonl")
    assert (report.calls, report.messages, report.errors) == (1, 1, [])
    stored = await Call.get(call_id="X1")
    assert (stored.hold_max, stored.hold_total, stored.transfer_count) == (12, 15, 1)
    assert stored.account_id == tenant.company.id and stored.reseller_id == tenant.reseller.id
    again = await import_text(jsonl([{**first, "agent": "DOM", "duration": 80}]), "jsonl")
    assert again.calls == 1
    assert await Call.filter(call_id="X1").count() == 1
    assert (await Call.get(call_id="X1")).agent == "DOM"
    assert (await TakenMessage.get(message_id="M1")).agent == "ELD"


async def test_bad_lines_are_reported_by_number_and_the_rest_loads(gateway: Gateway) -> None:
    tenant = await make_tenant()
    good = call(tenant.company, RECENT)
    lines = [json.dumps(good),  # 1
             "{not json",  # 2
             "",  # 3: blank lines are skipped
             json.dumps(call(tenant.company, RECENT, account_number=987654)),  # 4
             json.dumps(call(tenant.company, RECENT, direction="sideways")),  # 5
             json.dumps(call(tenant.company, "2026-01-01T10:00:00")),  # 6: no offset
             json.dumps(call(tenant.company, RECENT, quality=101)),  # 7
             json.dumps({k: v for k, v in call(tenant.company, RECENT).items()
                         if k != "duration"}),  # 8
             json.dumps(call(tenant.company, RECENT))]  # 9
    report = await import_text("\n".join(lines) + "\n", "jsonl")
    assert report.calls == 2
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "not valid JSON: Expecting property name enclosed in double quotes"),
        (4, "account_number 987654 matches no account"),
        (5, "bad value for direction: 'sideways'"),
        (6, "bad value for started_at: no UTC offset"),
        (7, "bad value for quality: 101"),
        (8, "missing field duration"),
    ]
    assert await Call.all().count() == 2


async def test_csv_columns_load_the_same_fields(gateway: Gateway) -> None:
    tenant = await make_tenant()
    a = tenant.company
    text = ("call_id,account_number,direction,started_at,duration,queued_at,assigned_at,"
            "answered_at,holds,transfers,busy,agent\n"
            f"K1,{a.id},inbound,{RECENT},100,5,6,,12;20,,true,eld\n"
            f"K2,{a.id},inbound,{RECENT},abc,5,6,10,,,false,eld\n")
    report = await import_text(text, "csv")
    assert report.calls == 1
    assert [(e.line, e.message) for e in report.errors] == [
        (3, "bad value for duration: 'abc'")]
    stored = await Call.get(call_id="K1")
    assert stored.answered_at is None and stored.busy and stored.hold_total == 32
    assert stored.agent == "ELD"


async def test_upload_over_http_is_limited_to_the_callers_reseller(gateway: Gateway) -> None:
    alpha = await make_tenant()
    beta = await make_tenant("Beta")
    await import_text(jsonl([call(beta.company, RECENT, call_id="BETA-1")]), "jsonl")
    body = jsonl([call(alpha.company, RECENT, call_id="A-1"),
                  call(beta.company, RECENT, call_id="B-2"),
                  call(alpha.company, RECENT, call_id="BETA-1")])
    headers = {**await bearer_for(alpha.admin), "Content-Type": "application/x-ndjson"}
    response = await gateway.client.post("/callcenter/import", content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    # Ids are unique per reseller (issue 15, item 5): Beta's "BETA-1" neither blocks Alpha's
    # nor is revealed to Alpha (no error line for it), and it is not taken over.
    assert answer["calls"] == 2
    assert [e["line"] for e in answer["errors"]] == [2]
    assert "matches no account" in answer["errors"][0]["message"]
    assert (await Call.get(call_id="BETA-1", reseller_id=beta.reseller.id)).account_id == (
        beta.company.id)
    assert (await Call.get(call_id="BETA-1", reseller_id=alpha.reseller.id)).account_id == (
        alpha.company.id)
    anonymous = await gateway.client.post("/callcenter/import", content=body,
                                          headers={"Content-Type": "application/x-ndjson"})
    assert anonymous.status_code == 401
    subscriber = await gateway.client.post(
        "/callcenter/import", content=body,
        headers={**await bearer_for(alpha.company_admin), "Content-Type": "application/x-ndjson"})
    assert subscriber.status_code == 403
    form = await gateway.client.post("/callcenter/import", content=body,
                                     headers={**await bearer_for(alpha.admin),
                                              "Content-Type": "text/plain"})
    assert form.status_code == 415


def test_the_import_command_shows_progress_and_reports_lines(
        migrated: str, tmp_path: Path, capsys: Any) -> None:
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings)

    async def prepare() -> int:
        await db.init_db(host)
        try:
            await truncate_all()
            return (await make_tenant()).company.id
        finally:
            await db.close_db()

    account_id = asyncio.run(prepare())
    path = tmp_path / "calls.jsonl"
    record = {"call_id": "CLI-1", "account_number": account_id, "direction": "inbound",
              "started_at": RECENT, "duration": 30}
    path.write_text(json.dumps(record) + "\n" + json.dumps({**record, "call_id": "CLI-2",
                                                            "account_number": 999999}) + "\n")
    args = argparse.Namespace(file=path, format=None, callcenter_action="import")
    assert import_command.run(host, args) == 1  # a line was rejected
    out = capsys.readouterr()
    assert "1 call(s) and 0 message(s) imported, 1 line(s) rejected." in out.out
    assert "line 2: account_number 999999 matches no account" in out.err
    assert "100%" in out.err  # the progress bar
    assert import_command.run(host, args) == 1  # again: updated, not duplicated

    async def count() -> int:
        await db.init_db(host)
        try:
            return await Call.filter(call_id="CLI-1").count()
        finally:
            await db.close_db()

    assert asyncio.run(count()) == 1


async def test_the_demo_file_imports_cleanly(gateway: Gateway) -> None:
    from plugins.callcenter.demo import demo_data
    from plugins.callcenter.importer import Importer, read_records

    tenant = await make_tenant()
    lines = await demo_data(gateway.app.state.host, "small")
    path = Path(lines[0].split(": ", 1)[1].split(" (", 1)[0])
    assert lines[1].endswith(f"gateway callcenter import {path}")
    with path.open(encoding="utf-8") as handle:
        report = await Importer().run(read_records(handle, "jsonl"))
    assert (report.calls, report.messages, report.errors) == (1050, 50, [])
    # The query the demo prints answers in GraphiQL, and the recorder has recent calls.
    query = lines[2].split("reseller@alpha.example: ", 1)[1]
    headers = await bearer_for(tenant.admin)
    answer = await gateway.graphql(query, **headers)
    assert "errors" not in answer, answer
    assert answer["data"]["callStatistics"]["totalInbound"]["value"] > 0
    recent = await gateway.graphql("{ callRecorder(filter: {preset: LAST_12_HOURS}) { "
                                   "totalCount } }", **headers)
    assert recent["data"]["callRecorder"]["totalCount"] > 0


async def test_values_no_database_takes_are_refused_or_cleaned_line_by_line(
        gateway: Gateway) -> None:
    tenant = await make_tenant()
    a = tenant.company
    lines = [
        json.dumps(call(a, RECENT, call_id="OK1", caller_name="Jo\u0000hn", quality=74.0,
                        account_group="2")),  # 1: NUL removed, 74.0 and "2" are integers
        json.dumps(call(a, RECENT, call_id="OK2", caller_name="\ud800x")),  # 2: lone surrogate
        json.dumps(call(a, RECENT, account_group=2**40)),  # 3
        json.dumps(call(a, RECENT)).replace('"duration": 100', '"duration": Infinity'),  # 4
        json.dumps(call(a, RECENT, call_id="X" * 65)),  # 5
        json.dumps(call(a, RECENT, account_number=10**30)),  # 6
        json.dumps(call(a, RECENT, holds=[12, True])),  # 7
        json.dumps(call(a, "0001-01-01T01:00:00+05:00")),  # 8: before year 1 in UTC
        json.dumps(call(a, NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), call_id="OK3")),  # 9: "Z"
        json.dumps(call(a, RECENT, transfers=list(range(1001)))),  # 10
    ]
    report = await import_text("\n".join(lines) + "\n", "jsonl")
    assert [(e.line, e.message) for e in report.errors] == [
        (3, f"bad value for account_group: {2**40}"),
        (4, "bad value for duration: inf"),
        (5, "bad value for call_id: longer than 64 characters"),
        (6, f"account_number {10**30} matches no account"),
        (7, "bad value for holds: True"),
        (8, "bad value for started_at: '0001-01-01T01:00:00+05:00'"),
        (10, "bad value for transfers: not a list"),
    ]
    assert report.calls == 3
    first = await Call.get(call_id="OK1")
    assert (first.caller_name, first.quality, first.account_group) == ("John", 74, 2)
    assert (await Call.get(call_id="OK2")).caller_name == "?x"
    assert (await Call.get(call_id="OK3")).started_at == NOW


async def test_batches_follow_each_other_and_the_last_word_wins(
        gateway: Gateway, monkeypatch: Any) -> None:
    from plugins.callcenter import importer

    monkeypatch.setattr(importer, "UPLOAD_BATCH", 3)  # batches written while parsing more
    tenant = await make_tenant()
    records = [call(tenant.company, RECENT, call_id=f"B{n % 5}", agent=f"A{n}")
               for n in range(11)]
    report = await import_text(jsonl(records), "jsonl")
    assert (report.calls, report.errors) == (11, [])  # lines accepted; 5 distinct calls
    assert await Call.filter(account_id=tenant.company.id).count() == 5
    assert (await Call.get(call_id="B0")).agent == "A10"
    assert (await Call.get(call_id="B4")).agent == "A9"


async def test_an_import_inside_a_transaction_commits_or_rolls_back_with_it(
        gateway: Gateway, monkeypatch: Any) -> None:
    from tortoise.transactions import in_transaction

    from plugins.callcenter import importer

    monkeypatch.setattr(importer, "UPLOAD_BATCH", 2)
    tenant = await make_tenant()
    records = [call(tenant.company, RECENT, call_id=f"T{n}") for n in range(5)]
    async with in_transaction():
        assert (await import_text(jsonl(records), "jsonl")).calls == 5
    assert await Call.filter(call_id__startswith="T").count() == 5

    class Abandoned(Exception):
        pass

    try:
        async with in_transaction():
            await import_text(jsonl([call(tenant.company, RECENT, call_id="U1")]), "jsonl")
            raise Abandoned
    except Abandoned:
        pass
    assert not await Call.filter(call_id="U1").exists()


async def test_hostile_lines_are_reported_by_number_not_a_server_error(gateway: Gateway) -> None:
    """Issue 15, item 11: a line of JSON nested thousands deep and a CSV field over the csv
    module's limit are each `line N: reason`; the other lines load."""
    tenant = await make_tenant()
    headers = {**await bearer_for(tenant.admin), "Content-Type": "application/x-ndjson"}
    deep = "[" * 100_000 + "]" * 100_000
    body = (jsonl([call(tenant.company, RECENT, call_id="OK-1")])
            + '{"call_id": "DEEP", "caller_name": ' + deep + "}\n"
            + jsonl([call(tenant.company, RECENT, call_id="OK-2")]))
    response = await gateway.client.post("/callcenter/import", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["calls"] == 2
    assert [(e["line"], e["message"]) for e in response.json()["errors"]] == [
        (2, "not valid JSON: nested too deeply")]

    record = call(tenant.company, RECENT)
    columns = [k for k in record if k not in ("holds", "transfers")]
    rows = [",".join(columns)]
    for call_id, name in (("CSV-1", "Appelant"), ("CSV-2", "x" * 200_000), ("CSV-3", "Autre")):
        values = {**record, "call_id": call_id, "caller_name": name}
        rows.append(",".join("" if values[c] is None else str(values[c]) for c in columns))
    response = await gateway.client.post(
        "/callcenter/import", content="\n".join(rows) + "\n",
        headers={**headers, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["calls"] == 2
    assert [e["line"] for e in answer["errors"]] == [3]
    assert answer["errors"][0]["message"].startswith("not valid CSV: field larger")
    assert await Call.filter(call_id__in=["CSV-1", "CSV-3"]).count() == 2
