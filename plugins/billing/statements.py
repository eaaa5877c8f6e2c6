"""Statements ("relevé de compte", issue 16): read them, render one as a PDF (xhtml2pdf, in a
job) in the client's language, branded with the reseller's name and logo, and "Envoyer":
email it to the account's billing contact, with the copies the sender types, through the
outbox. An account in test mode gets no email (the send is reported as suppressed).

Names print in any script: the statement names no font, so the core's default stack sets it
(DejaVu Sans, and Droid Sans Fallback for Chinese, Japanese and Korean characters; Arabic shaped,
Arabic and Hebrew in their visual order).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import string
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from gateway.api import (
    STAFF,
    Account,
    Attachment,
    PluginHost,
    Principal,
    Problem,
    RecipientPolicy,
    Reseller,
    ResellerImage,
    Text,
    accounts_visible,
    check_recipients,
    count_recipients,
    enqueue,
    render_pdf_async,
    send_email,
)
from plugins.clients.api import billing_contact, is_test_mode

from . import cycle_errors as e
from .cycle_errors import BillingCycleErrorCode as Code
from .ledger_models import Statement, StatementLine

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).resolve().parent / "templates" / "statement.html"
SEND_JOB = "billing.send_statement"
COPIES_POLICY = RecipientPolicy(max_recipients=10, name="billing_statement")
_LOGO_SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}

LABELS = {
    "title": Text(en="Account statement", fr="Relevé de compte"),
    "number_label": Text(en="Statement", fr="Relevé"),
    "period_label": Text(en="Period", fr="Période"),
    "date_label": Text(en="Date", fr="Date"),
    "account_label": Text(en="Account number", fr="Numéro de compte client"),
    "can_label": Text(en="Billing number", fr="Numéro de facturation"),
    "description_label": Text(en="Description", fr="Description"),
    "quantity_label": Text(en="Quantity", fr="Quantité"),
    "unit_label": Text(en="Unit price", fr="Prix unitaire"),
    "amount_label": Text(en="Amount", fr="Montant"),
    "previous_label": Text(en="Previous balance", fr="Solde précédent"),
    "payments_label": Text(en="Payments and credits", fr="Paiements et crédits"),
    "charges_label": Text(en="Charges", fr="Frais"),
    "discounts_label": Text(en="Promotions", fr="Promotions"),
    "taxes_label": Text(en="Taxes", fr="Taxes"),
    "total_label": Text(en="New charges", fr="Nouveaux frais"),
    "balance_label": Text(en="Balance due", fr="Solde à payer"),
    "footer": Text(en="Questions about this statement? Contact {reseller}.",
                   fr="Une question sur ce relevé ? Communiquez avec {reseller}."),
}
SUSPENDED_NOTE = Text(
    en="Lines marked \"billing suspended\" are borne by your reseller: you are not charged.",
    fr="Les lignes « facturation suspendue » sont à la charge de votre revendeur : elles ne "
       "vous sont pas facturées.")


def money(amount: Decimal, currency: str, language: str) -> str:
    text = f"{amount:,.2f}"
    if language == "fr":
        return text.replace(",", "\u00a0").replace(".", ",") + f"\u00a0{currency}"
    return f"{text} {currency}"


def quantity_text(quantity: Decimal, language: str) -> str:
    text = f"{quantity.normalize():f}" if quantity == quantity.to_integral() else f"{quantity:.2f}"
    return text.replace(".", ",") if language == "fr" else text


def period_text(statement: Statement, language: str) -> str:
    last = statement.ends_on - dt.timedelta(days=1)
    if language == "fr":
        return f"{statement.starts_on:%Y-%m-%d} au {last:%Y-%m-%d}"
    return f"{statement.starts_on:%Y-%m-%d} to {last:%Y-%m-%d}"


def visible_statements(principal: Principal | None) -> Any:
    """The statements of the accounts the caller may see."""
    from tortoise.expressions import Subquery

    return Statement.filter(account_id__in=Subquery(accounts_visible(principal).values("id")))


async def statement_for(principal: Principal | None, statement_id: int,
                        field: list[str | int] | None = None) -> Statement:
    found = await visible_statements(principal).filter(id=statement_id).first()
    if found is None:
        raise Problem(Code.NOT_FOUND, e.STATEMENT_NOT_FOUND, field or ["input", "statementId"])
    return found


@dataclass(frozen=True)
class RenderedStatement:
    filename: str
    data: bytes


async def _logo(reseller: Reseller, folder: Path) -> str:
    """The uploaded logo written beside the document (xhtml2pdf reads no network)."""
    stored = (reseller.branding or {}).get("logo") or {}
    if not isinstance(stored, dict) or not stored.get("digest"):
        return ""
    image = await ResellerImage.filter(reseller_id=reseller.id, kind="logo",
                                       digest=stored["digest"]).first()
    suffix = _LOGO_SUFFIX.get(image.content_type if image else "")
    if image is None or suffix is None:
        return ""
    (folder / f"logo{suffix}").write_bytes(bytes(image.data))
    return f'<img src="logo{suffix}" height="40"><br>'


def _rows(lines: list[StatementLine], currency: str, language: str) -> str:
    out = []
    for line in lines:
        description = line.description_fr if language == "fr" else line.description_en
        unit = money(Decimal(line.unit_price), currency, language) if line.unit_price else ""
        out.append(
            f"<tr><td>{html.escape(description)}</td>"
            f'<td class="amount">{quantity_text(Decimal(line.quantity), language)}</td>'
            f'<td class="amount">{unit}</td>'
            f'<td class="amount">{money(Decimal(line.amount), currency, language)}</td></tr>')
    return "\n".join(out)


async def statement_html(statement: Statement, folder: Path) -> str:
    account = await Account.get(id=statement.account_id)
    reseller = await Reseller.get(id=statement.reseller_id)
    lines = await StatementLine.filter(statement_id=statement.id).order_by("position")
    language = statement.language
    currency = statement.currency
    values: dict[str, str] = {key: html.escape(text.render(language))
                              for key, text in LABELS.items() if key != "footer"}
    address = ", ".join(part for part in (reseller.address, reseller.city, reseller.state,
                                          reseller.postal_code) if part)
    values |= {
        "logo": await _logo(reseller, folder),
        "reseller": html.escape(reseller.name), "reseller_address": html.escape(address),
        "number": html.escape(statement.number),
        "period": html.escape(period_text(statement, language)),
        "date": statement.ends_on.isoformat(), "account_name": html.escape(account.name),
        "account_number": str(account.id), "can": html.escape(account.can),
        "rows": _rows(lines, currency, language),
        "suspended_note": f"<p>{html.escape(SUSPENDED_NOTE.render(language))}</p>"
        if any(line.party == "RESELLER" for line in lines) else "",
        "footer": html.escape(LABELS["footer"].render(language, reseller=reseller.name)),
    }
    for key in ("previous_balance", "payments", "charges", "taxes", "total", "balance"):
        name = "previous" if key == "previous_balance" else key
        values[name] = money(Decimal(getattr(statement, key)), currency, language)
    values["discounts"] = money(-Decimal(statement.discounts), currency, language)
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(values)


async def render_statement(statement: Statement) -> RenderedStatement:
    """The statement as a PDF (seconds of CPU: call it from a job or a download thread)."""
    with tempfile.TemporaryDirectory(prefix="statement-") as folder:
        document = await statement_html(statement, Path(folder))
        data = await render_pdf_async(document, base_dir=Path(folder))
    return RenderedStatement(f"{statement.number}.pdf", data)


# ---- Envoyer ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SendResult:
    statement: Statement
    suppressed: bool  # test mode: nothing sent
    to: str


async def send_statement(host: PluginHost, principal: Principal | None, statement_id: int, *,
                         cc: list[str] | None = None,
                         bcc: list[str] | None = None) -> SendResult:
    """Envoyer: queue the statement's email to the account's billing contact (the PDF is
    rendered by the job), with copies; suppressed in test mode."""
    if principal is None or principal.role not in STAFF:
        raise Problem(Code.NOT_FOUND, e.STATEMENT_NOT_FOUND, ["input", "statementId"])
    statement = await statement_for(principal, statement_id)
    copies = {
        "cc": await check_recipients(principal, cc or [], field=["input", "cc"],
                                     policy=COPIES_POLICY, required=False, rate_limit=False),
        "bcc": await check_recipients(principal, bcc or [], field=["input", "bcc"],
                                      policy=COPIES_POLICY, required=False, rate_limit=False),
    }
    to = await billing_contact(statement.account_id)
    if not to:
        raise Problem(Code.NO_BILLING_CONTACT, e.NO_BILLING_CONTACT, ["input", "statementId"])
    if await is_test_mode(statement.account_id):
        log.info("account %s is in test mode: statement %s not sent", statement.account_id,
                 statement.number)
        return SendResult(statement, True, to)
    copied = len(copies["cc"]) + len(copies["bcc"])
    if copied:
        await count_recipients(principal, copied, policy=COPIES_POLICY, field=["input", "cc"])
    async with in_transaction():
        await enqueue(SEND_JOB, {"statement_id": statement.id, "to": to, **copies})
    return SendResult(statement, False, to)


async def send_statement_job(payload: dict[str, Any]) -> None:
    """The job: render the PDF, then queue the email with it (once per outbox row)."""
    statement = await Statement.get_or_none(id=payload["statement_id"])
    if statement is None:
        return
    rendered = await render_statement(statement)
    reseller = await Reseller.get(id=statement.reseller_id)
    language = statement.language
    values = {
        "number": statement.number, "reseller": reseller.name,
        "period": period_text(statement, language),
        "total": money(Decimal(statement.total), statement.currency, language),
        "balance": money(Decimal(statement.balance), statement.currency, language),
    }
    await send_email(to=payload["to"], cc=payload.get("cc") or [],
                     bcc=payload.get("bcc") or [], template="billing_statement",
                     language=language, values=values,
                     attachments=[Attachment(rendered.filename, "application/pdf",
                                             rendered.data)],
                     dedupe_key=f"billing-statement:{payload['outbox_id']}")
