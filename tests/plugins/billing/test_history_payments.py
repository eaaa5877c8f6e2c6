"""Issue 16 over GraphQL: statements, the billing history with its running balance (by
account number or CAN), payments and credits as ledger entries (never a card number), the
reseller's roll-up ("Facturation CAN"), CSV/XLSX files; another reseller's ids are "not found",
refusals come in the caller's language."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from gateway.api import UserRole
from plugins.billing import closing
from plugins.billing.config import BillingConfig
from plugins.billing.cycle import Cycle
from plugins.billing.ledger_models import LedgerEntry
from tests.conftest import Gateway
from tests.plugins.billing.cycle_factory import CLOSE_DAY, CYCLE_START, make_month
from tests.plugins.billing.cycle_support import billing_gateway, data, smtp_server  # noqa: F401
from tests.support.identity_factory import bearer_for, make_tenant, make_user

CYCLE = Cycle(CYCLE_START, CLOSE_DAY)
D = Decimal

STATEMENTS = """query S($n: Int, $can: String) { billingStatements(accountNumber: $n,
  billingNumber: $can, first: 5) { totalCount nodes { id number startsOn endsOn accountNumber
  balanceDue { amount currency } newCharges { amount } discountsTotal { amount }
  lines { kind party code description quantity amount { amount } days } } } }"""
LEDGER = """query L($n: Int, $can: String, $first: Int, $after: String) {
  billingLedger(accountNumber: $n, billingNumber: $can) {
  accountNumber billingNumber balance { amount currency }
  entries(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
            nodes { date kind description amount { amount } balance { amount } } } } }"""
PAY = """mutation P($input: RecordPaymentInput!) { recordPayment(input: $input) {
  entry { date kind description amount { amount currency } reference }
  errors { code field message } } }"""
ROLLUP = """query R($start: Date, $reseller: ID) { billingRollup(cycleStart: $start,
  resellerId: $reseller) { resellerBillsClients owed { amount } earned { amount currency }
  clients(first: 10) { totalCount nodes { accountNumber retail { amount } wholesale { amount }
  net { amount } } } } }"""


async def test_history_payments_rollup_and_files(billing_gateway: Gateway,  # noqa: F811
                                                 count_queries: Any) -> None:
    gateway = billing_gateway
    month = await make_month()
    assert month.promoted and month.changing and month.suspended
    await closing.close_cycle(gateway.app.state.host, BillingConfig(), CYCLE)
    a = month.promoted
    client = await bearer_for(await make_user(UserRole.COMPANY_ADMIN,
                                              reseller=month.tenant.reseller, account=a,
                                              language="fr"))
    staff = await bearer_for(month.tenant.admin)
    other = await make_tenant("Bêta Réseau")
    stranger = await bearer_for(other.admin)

    # The client's own statement, in French.
    listed = (await data(gateway, client, STATEMENTS, n=a.id))["billingStatements"]
    [statement] = listed["nodes"]
    assert (statement["startsOn"], statement["endsOn"]) == ("2026-10-20", "2026-11-20")
    assert statement["balanceDue"] == {"amount": "49.68", "currency": "CAD"}
    assert statement["discountsTotal"]["amount"] == "6.99"
    assert statement["lines"][0]["description"] == "Forfait Base"
    by_can = (await data(gateway, staff, STATEMENTS, can=a.can))["billingStatements"]
    assert by_can["nodes"][0]["number"] == statement["number"]

    # The history: each charge dated on the close day, the balance running.
    ledger = (await data(gateway, client, LEDGER, can=a.can))["billingLedger"]
    assert ledger["accountNumber"] == a.id and ledger["balance"]["amount"] == "49.68"
    nodes = ledger["entries"]["nodes"]
    assert [n["amount"]["amount"] for n in nodes] == [
        "29.95", "5.00", "15.25", "-6.99", "2.16", "4.31"]
    assert [n["balance"]["amount"] for n in nodes][-1] == "49.68"
    assert {n["date"] for n in nodes} == {"2026-11-20"}

    # A payment by cheque, after the close; one dated inside the closed cycle is refused.
    paid = (await data(gateway, staff, PAY, input={
        "accountNumber": a.id, "amount": "20.00", "method": "CHEQUE", "date": "2026-11-25",
        "reference": "Chèque 1042", "idempotencyKey": "cheque-1042"}))["recordPayment"]
    assert paid["errors"] == [] and paid["entry"]["amount"] == {"amount": "-20.00",
                                                                 "currency": "CAD"}
    again = (await data(gateway, staff, PAY, input={
        "accountNumber": a.id, "amount": "20.00", "method": "CHEQUE", "date": "2026-11-25",
        "idempotencyKey": "cheque-1042"}))["recordPayment"]
    assert again["errors"] == []
    assert await LedgerEntry.filter(account_id=a.id, kind="PAYMENT").count() == 1
    closed = (await data(gateway, staff, PAY, input={
        "accountNumber": a.id, "amount": "5", "method": "CHEQUE", "date": "2026-11-10"},
    ))["recordPayment"]
    assert closed["errors"][0]["code"] == "CLOSED_PERIOD"
    assert closed["errors"][0]["field"] == ["input", "date"]
    french_staff = await bearer_for(await make_user(
        UserRole.RESELLER_ADMIN, reseller=month.tenant.reseller, language="fr"))
    french = await gateway.graphql(PAY, {"input": {
        "accountNumber": a.id, "amount": "5", "method": "CHEQUE", "date": "2026-11-10"}},
        **french_staff)
    assert "fermé" in french["data"]["recordPayment"]["errors"][0]["message"]
    for bad, code, where in (
            ({"amount": "5", "method": "CARD", "reference": "4111 1111 1111 1111"},
             "CARD_NUMBER_REFUSED", "reference"),
            ({"amount": "-3", "method": "CHEQUE"}, "INVALID", "amount"),
            ({"amount": "1.005", "method": "CHEQUE"}, "INVALID", "amount"),
            ({"amount": "5", "method": "CARD", "processor": "stripe-like",
              "processorToken": "tok_123"}, "UNKNOWN_PROCESSOR", "processor")):
        refused = (await data(gateway, staff, PAY, input={"accountNumber": a.id, **bad}))
        assert refused["recordPayment"]["errors"][0]["code"] == code, bad
        assert refused["recordPayment"]["errors"][0]["field"] == ["input", where]
    assert await LedgerEntry.filter(account_id=a.id, kind="PAYMENT").count() == 1
    ledger = (await data(gateway, client, LEDGER, n=a.id, first=2))["billingLedger"]
    assert ledger["balance"]["amount"] == "29.68"
    assert ledger["entries"]["totalCount"] == 7 and ledger["entries"]["pageInfo"]["hasNextPage"]

    # The next cycle brings the balance forward and counts the payment.
    preview = await closing.close_cycle(gateway.app.state.host, BillingConfig(), CYCLE.next(),
                                        preview=True, account_ids=[a.id])
    [draft] = preview.drafts
    assert (draft.previous_balance, draft.payments) == (D("49.68"), D("-20.00"))
    assert draft.balance == D("29.68") + draft.total

    # The call-center portal's page gets the same lines through gateway_billing_history.
    portal = await data(gateway, client, "query H($n: Int!) { billingHistory(accountNumber: $n)"
                        " { date description amount } }", n=a.id)
    assert portal["billingHistory"][0]["amount"] == "-20.00"

    # Another reseller: the account, its statements and payments are "not found".
    hidden = await gateway.graphql(LEDGER, {"n": a.id}, **stranger)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    hidden = await gateway.graphql(STATEMENTS, {"can": a.can}, **stranger)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    refused = await data(gateway, stranger, PAY, input={"accountNumber": a.id, "amount": "1",
                                                        "method": "CHEQUE"})
    assert refused["recordPayment"]["errors"][0]["code"] == "NOT_FOUND"
    denied = await gateway.graphql(PAY, {"input": {"accountNumber": a.id, "amount": "1",
                                                   "method": "CHEQUE"}}, **client)
    assert denied["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")

    # The roll-up: the platform bills the clients and pays the reseller its revenue.
    # A: 43.21 - 38.25 = 4.96; B: 86.56 - 56.45 = 30.11; C: 20.29 - 30.00 = -9.71.
    rolled = (await data(gateway, staff, ROLLUP, start="2026-10-20"))["billingRollup"]
    assert rolled["resellerBillsClients"] is False and rolled["owed"]["amount"] == "0"
    assert rolled["earned"] == {"amount": "25.36", "currency": "CAD"}
    nets = {n["accountNumber"]: n["net"]["amount"] for n in rolled["clients"]["nodes"]}
    assert nets == {a.id: "4.96", month.changing.id: "30.11", month.suspended.id: "-9.71"}
    own = (await data(gateway, stranger, ROLLUP, start="2026-10-20"))["billingRollup"]
    assert own["clients"]["totalCount"] == 0
    from gateway.api import global_id

    other_reseller = global_id("Reseller", month.tenant.reseller.id)
    hidden = await gateway.graphql(ROLLUP, {"start": "2026-10-20", "reseller": other_reseller},
                                   **stranger)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    seen = (await data(gateway, sysadmin, ROLLUP, start="2026-11-01",
                       reseller=other_reseller))["billingRollup"]
    assert seen["earned"]["amount"] == "25.36"  # any day of the cycle names it

    # A preview of the closed cycle gives the same statement; the client may not ask.
    previewed = (await data(gateway, staff, "query P($n: Int!) { billingPreview(accountNumber:"
                            " $n, closeDay: \"2026-11-20\") { total { amount currency } "
                            "lines { code amount { amount } } } }", n=a.id))["billingPreview"]
    assert previewed["total"] == {"amount": "49.68", "currency": "CAD"}
    denied = await gateway.graphql("query P($n: Int!) { billingPreview(accountNumber: $n) { "
                                   "total { amount } } }", {"n": a.id}, **client)
    assert denied["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")

    # Files: the history as CSV, the roll-up as XLSX.
    url = (await data(gateway, client, "query { billingLedgerDownload(format: CSV, "
                      f"accountNumber: {a.id}) }}"))["billingLedgerDownload"]
    response = await gateway.client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Description", "Montant", "Devise", "Solde"]
    assert rows[-1][2:] == ["-20.00", "CAD", "29.68"]
    url = (await data(gateway, staff, 'query { billingRollupDownload(format: XLSX, '
                      'cycleStart: "2026-10-20") }'))["billingRollupDownload"]
    response = await gateway.client.get(url.removeprefix("http://testserver"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert len(table) == 4 and {row[6] for row in table[1:]} == {4.96, 30.11, -9.71}
    tampered = await gateway.client.get(url.removeprefix("http://testserver")[:-3] + "xyz")
    assert tampered.status_code == 404

    # A page of statements (with their lines) costs the same SQL whatever its size.
    earlier = Cycle(dt.date(2026, 9, 20), CYCLE_START)
    await closing.close_cycle(gateway.app.state.host, BillingConfig(), earlier)
    counts = {}
    for first in (1, 2):
        with count_queries() as sql:
            page = await data(gateway, client, STATEMENTS.replace("first: 5", f"first: {first}"),
                              n=a.id)
        assert len(page["billingStatements"]["nodes"]) == first
        counts[first] = len(sql)
    assert counts[1] == counts[2]
