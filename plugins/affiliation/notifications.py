"""The affiliation emails, written in the transaction of the change they report (outbox): the
organisation's admins learn the new extensions; on un-affiliation every user of both sides is
told. Nothing leaves for an account in test mode (the clients plugin's flag)."""

from __future__ import annotations

import html

from gateway.api import LANGUAGES, Account, PluginHost, SafeHtml, Text, User, UserRole, send_email
from plugins.account_settings.api import ExtensionKind
from plugins.affiliation.proposals import Change, items_of
from plugins.clients.api import is_test_mode

_KIND = {ExtensionKind.USER: Text(en="user", fr="utilisateur"),
         ExtensionKind.GROUP: Text(en="group", fr="groupe"),
         ExtensionKind.SERVICE: Text(en="service", fr="service")}
_WAS = Text(en="formerly {old}", fr="auparavant {old}")
_NONE = Text(en="(no extension)", fr="(aucun poste)")


def _language(user: User | None, account: Account) -> str:
    for language in ((user.language if user else ""), account.language):
        if language in LANGUAGES:
            return language
    return "fr"


async def _people(account_ids: list[int], role: UserRole | None = None) -> list[User]:
    query = User.filter(account_id__in=account_ids, is_active=True).exclude(email="")
    if role is not None:
        query = query.filter(role=role)
    return list(await query.order_by("account_id", "id"))


async def affiliated(host: PluginHost, account: Account, organization: Account,
                     changes: list[Change]) -> list[str]:
    """Tell the organisation's company admins (else its own address) the joining account's
    extensions, the changed ones with their former number. Returns the addresses."""
    if await is_test_mode(organization.id):
        return []
    admins = await _people([organization.id], UserRole.COMPANY_ADMIN)
    recipients: list[tuple[User | None, str]] = [(a, a.email) for a in admins]
    if not recipients and organization.email:
        recipients = [(None, organization.email)]
    former = {(c.item.kind, c.item.item_id): c.item.extension for c in changes}
    items = await items_of([account.id])
    for person, address in recipients:
        language = _language(person, organization)
        lines = []
        for item in items:
            old = former.get((item.kind, item.item_id))
            note = f" ({_WAS.render(language, old=old)})" if old else ""
            lines.append((item.extension, item.name, _KIND[item.kind].render(language), note))
        text = "\n".join(f"  {ext}  {name} ({kind}){note}" for ext, name, kind, note in lines)
        rows = "".join(
            f"<tr><td>{html.escape(ext)}</td><td>{html.escape(name)}</td>"
            f"<td>{html.escape(kind)}</td><td>{html.escape(note.strip(' ()'))}</td></tr>"
            for ext, name, kind, note in lines)
        await send_email(
            to=address, template="affiliation_affiliated", language=language, gateway=host,
            values={"name": person.full_name if person else organization.name,
                    "account_name": account.name, "account_number": account.id,
                    "organization_name": organization.name,
                    "organization_number": organization.id, "changed": len(changes),
                    "extensions": text or "  " + _NONE.render(language),
                    "extensions_html": SafeHtml(f"<table>{rows}</table>" if rows else
                                                html.escape(_NONE.render(language)))})
    return [address for _, address in recipients]


async def unaffiliated(host: PluginHost, account: Account, organization: Account,
                       remaining: list[int]) -> list[str]:
    """Tell every user of the leaving account and of the organisation's remaining accounts.
    Returns the addresses."""
    accounts = {a.id: a for a in await Account.filter(id__in=[account.id, *remaining])}
    quiet = {i for i in accounts if await is_test_mode(i)}
    sent: list[str] = []
    for person in await _people(sorted(set(accounts) - quiet)):
        own = accounts[person.account_id] if person.account_id is not None else account
        template = "affiliation_left" if own.id == account.id else "affiliation_member_left"
        await send_email(
            to=person.email, template=template, language=_language(person, own), gateway=host,
            values={"name": person.full_name, "account_name": account.name,
                    "account_number": account.id, "organization_name": organization.name,
                    "organization_number": organization.id})
        sent.append(person.email)
    return sent
