"""Demo data: Dre Caroline Fortin (Alpha's professional) joins the organisation of the
Clinique dentaire Pelletier, through the same proposal and acceptance a reseller would use,
so ORGID, the renumbered extension and ``organizationDirectory`` can be seen in GraphiQL."""

from __future__ import annotations

from gateway.api import Account, PluginHost, Principal, Role, User
from plugins.account_settings.api import assign_user_extension
from plugins.affiliation.services import affiliate, proposal_for

ORGANIZATION = "Clinique dentaire Pelletier"
JOINING = "Dre Caroline Fortin"


async def demo_data(gateway: PluginHost, size: str) -> list[str] | None:
    clinic = await Account.filter(name=ORGANIZATION).order_by("id").first()
    dentist = await Account.filter(name=JOINING).order_by("id").first()
    if clinic is None or dentist is None or dentist.organization_id is not None:
        return None  # not the demo data set, or already done
    for account in (clinic, dentist):  # everyone gets an extension, each in its own numbering
        for (user_id,) in await User.filter(account_id=account.id, extension__isnull=True
                                            ).order_by("id").values_list("id"):
            await assign_user_extension(account, user_id)
    system = Principal(role=Role.SYSTEM_ADMIN)
    field = ["input", "accountId"]
    _, _, proposal = await proposal_for(system, dentist.id, clinic.id, field, field)
    await affiliate(system, dentist.id, clinic.id, token=proposal.token, notify=False,
                    host=gateway)
    renumbered = ", ".join(f"{c.item.extension} -> {c.replacement}" for c in proposal.changes)
    return [f"Affiliation: {JOINING} joined the organisation of {ORGANIZATION} "
            f"(ORGID {clinic.id}; extensions renumbered: {renumbered or 'none'}); "
            f"see organizationDirectory(accountId: ...) in GraphiQL."]
