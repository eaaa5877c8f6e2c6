"""Delete = unsubscribe, reactivation by a system admin, and the purge after the retention
period: archive first, then delete (or scrub what the append-only audit log still names)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from strawberry.relay import to_base64

from gateway.identity.models import (
    Account,
    AuditEntry,
    BillingStatus,
    Session,
    User,
    UserRole,
)
from plugins.clients import services
from plugins.clients.config import PLUGIN_NAME, ClientsConfig
from plugins.clients.models import AccountMessage, AccountProfile, AccountSettings
from tests.conftest import ROOT, Gateway
from tests.gateway.test_jobs import wait_for
from tests.plugins.clients import lifecycle_plugin
from tests.plugins.clients.conftest import received
from tests.support.identity_factory import bearer_for, make_tenant, make_user

# The console script installed beside the interpreter running the tests (.venv/bin/gateway).
GATEWAY = shutil.which("gateway", path=str(Path(sys.executable).parent))

DELETE = """mutation($input: DeleteAccountInput!) {
  deleteAccount(input: $input) { account { billingStatus unsubscribedAt } errors { code field } }
}"""
REACTIVATE = """mutation($input: ReactivateAccountInput!) {
  reactivateAccount(input: $input) { account { billingStatus unsubscribedAt } errors { code } }
}"""
ME = "{ me { user { login } } }"
NAMES = """query($status: AccountStatus) {
  accounts(kind: COMPANY, filter: {status: $status}) { nodes { accountNumber } }
}"""


async def _numbers(gateway: Gateway, headers: dict[str, str], status: str | None) -> set[int]:
    result = await gateway.graphql(NAMES, {"status": status}, **headers)
    return {n["accountNumber"] for n in result["data"]["accounts"]["nodes"]}


async def test_delete_unsubscribes_the_account_and_its_users(clients_gateway: Gateway) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    staff = await bearer_for(tenant.admin)
    company_admin_headers = await bearer_for(tenant.company_admin)
    employee_headers = await bearer_for(tenant.employee)
    assert (await gateway.graphql(ME, **employee_headers))["data"]["me"]["user"]
    account_id = to_base64("Account", tenant.company.id)

    payload = (await gateway.graphql(DELETE, {"input": {"id": account_id}}, **staff)
               )["data"]["deleteAccount"]
    assert payload["errors"] == []
    assert payload["account"]["billingStatus"] == "UNSUBSCRIBED"
    assert payload["account"]["unsubscribedAt"]

    # Off the active list, on the unsubscribed one.
    assert tenant.company.id not in await _numbers(gateway, staff, "ACTIVE")
    assert tenant.company.id in await _numbers(gateway, staff, "UNSUBSCRIBED")
    # Its people can no longer work: inactive, their sessions ended.
    assert not await User.filter(account_id=tenant.company.id, is_active=True).exists()
    assert not await Session.filter(user_id=tenant.employee.id, ended_at__isnull=True).exists()
    for headers in (company_admin_headers, employee_headers):
        me = await gateway.graphql(ME, **headers)
        assert me["data"] is None or me["data"]["me"]["user"] is None
    # The other plugins heard of it inside the transaction (numbers back to the pool...).
    assert lifecycle_plugin.calls == [("unsubscribed", tenant.company.id, True)]
    # The company admin has the confirmation.
    (message,) = await received(gateway.smtp, 1)  # type: ignore[attr-defined]
    assert message["To"] == tenant.company_admin.email
    assert "90" in message.get_body(preferencelist=("plain",)).get_content()

    again = (await gateway.graphql(DELETE, {"input": {"id": account_id}}, **staff)
             )["data"]["deleteAccount"]
    assert [e["code"] for e in again["errors"]] == ["ACCOUNT_UNSUBSCRIBED"]


async def test_direct_access_sessions_inside_the_account_end_too(gateway: Gateway) -> None:
    from gateway.identity.sessions import open_session

    tenant = await make_tenant()
    staff_session, _ = await open_session(tenant.admin)
    inside, _ = await open_session(tenant.admin, acting_account=tenant.company,
                                   parent=staff_session)
    await gateway.graphql(DELETE, {"input": {"id": to_base64("Account", tenant.company.id)}},
                          **await bearer_for(tenant.admin))
    assert (await Session.get(id=inside.id)).ended_at is not None
    assert (await Session.get(id=staff_session.id)).ended_at is None


async def test_an_account_in_test_mode_gets_no_email(clients_gateway: Gateway) -> None:
    tenant = await make_tenant()
    await services.set_test_mode(tenant.company.id, True)
    await clients_gateway.graphql(DELETE, {"input": {"id": tenant.company.id}},
                                  **await bearer_for(tenant.admin))
    assert (await Account.get(id=tenant.company.id)).billing_status == BillingStatus.UNSUBSCRIBED
    from gateway.models import OutboxJob

    assert not await OutboxJob.filter(job="email.send").exists()


async def test_another_reseller_cannot_delete(gateway: Gateway) -> None:
    alpha, beta = await make_tenant("Alpha"), await make_tenant("Beta")
    payload = (await gateway.graphql(
        DELETE, {"input": {"id": to_base64("Account", alpha.company.id)}},
        **await bearer_for(beta.admin)))["data"]["deleteAccount"]
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    assert (await Account.get(id=alpha.company.id)).billing_status == BillingStatus.FREE_TRIAL
    refused = await gateway.graphql(DELETE, {"input": {"id": alpha.company.id}},
                                    **await bearer_for(alpha.company_admin))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_system_admin_reactivates_before_the_purge(clients_gateway: Gateway) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    await Account.filter(id=tenant.company.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    account_id = to_base64("Account", tenant.company.id)
    await gateway.graphql(DELETE, {"input": {"id": account_id}}, **await bearer_for(tenant.admin))

    by_reseller = await gateway.graphql(REACTIVATE, {"input": {"id": account_id}},
                                        **await bearer_for(tenant.admin))
    assert by_reseller["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    payload = (await gateway.graphql(REACTIVATE, {"input": {"id": account_id}}, **sysadmin)
               )["data"]["reactivateAccount"]
    assert payload == {"account": {"billingStatus": "IN_PRODUCTION", "unsubscribedAt": None},
                       "errors": []}
    assert await User.filter(account_id=tenant.company.id, is_active=False).count() == 0
    assert [c[0] for c in lifecycle_plugin.calls] == ["unsubscribed", "reactivated"]
    twice = (await gateway.graphql(REACTIVATE, {"input": {"id": account_id}}, **sysadmin)
             )["data"]["reactivateAccount"]
    assert [e["code"] for e in twice["errors"]] == ["NOT_UNSUBSCRIBED"]


async def _unsubscribed_days_ago(gateway: Gateway, tenant: Any, account: Account,
                                 days: int) -> None:
    await gateway.graphql(DELETE, {"input": {"id": account.id}}, **await bearer_for(tenant.admin))
    await Account.filter(id=account.id).update(
        unsubscribed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))


PREVIEW = """{ purgePreview(first: 10) { totalCount nodes { accountNumber name userCount
  unsubscribedAt purgeDueAt } } }"""


async def test_the_purge_archives_then_deletes_accounts_past_retention(
    clients_gateway: Gateway,
) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    host = gateway.app.state.host
    config = host.config_for(PLUGIN_NAME, ClientsConfig)
    old, recent = tenant.company, tenant.professional_account
    await services.set_test_mode(old.id, False)
    await AccountMessage.create(reseller=tenant.reseller, account=old, kind="CUSTOM",
                                status="SENT", to_address=old.email, subject="Bonjour")
    await _unsubscribed_days_ago(gateway, tenant, old, 91)
    await _unsubscribed_days_ago(gateway, tenant, recent, 10)
    user_ids = set(await User.filter(account_id=old.id).values_list("id", flat=True))

    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    preview = (await gateway.graphql(PREVIEW, **sysadmin))["data"]["purgePreview"]
    assert preview["totalCount"] == 1
    assert preview["nodes"][0]["accountNumber"] == old.id
    assert preview["nodes"][0]["userCount"] == 2
    refused = await gateway.graphql(PREVIEW, **await bearer_for(tenant.admin))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    purged = await services.purge_due(host, config)
    assert purged == [old.id]
    assert not await Account.filter(id=old.id).exists()
    assert not await User.filter(id__in=list(user_ids)).exists()
    assert not await AccountMessage.filter(account_id=old.id).exists()
    assert not await AccountSettings.filter(account_id=old.id).exists()
    assert await Account.filter(id=recent.id).exists()
    assert ("purged", old.id, True) in lifecycle_plugin.calls

    (archive,) = (Path(host.settings.var_dir) / "archive" / "accounts").glob(
        f"account-{old.id}-*.json")
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    document = json.loads(archive.read_text())
    assert document["account"]["name"] == old.name
    assert {u["id"] for u in document["users"]} == user_ids
    assert "password_hash" not in archive.read_text()
    assert document["messages"][0]["subject"] == "Bonjour"
    # Nothing is left to purge; the next run does nothing.
    assert await services.purge_due(host, config) == []


async def test_the_periodic_job_runs_the_purge(clients_gateway: Gateway) -> None:
    from gateway.jobs import enqueue
    from plugins.clients.actors import PURGE_JOB

    tenant = await make_tenant()
    await _unsubscribed_days_ago(clients_gateway, tenant, tenant.company, 120)
    host = clients_gateway.app.state.host
    assert any(p.job == PURGE_JOB for p in host.collect("gateway_periodic_jobs"))
    await enqueue(PURGE_JOB, {})

    async def gone() -> bool:
        return not await Account.filter(id=tenant.company.id).exists()

    await wait_for(gone)


async def test_an_account_the_audit_log_names_is_scrubbed_not_deleted(
    clients_gateway: Gateway,
) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    host = gateway.app.state.host
    await AuditEntry.create(reseller=tenant.reseller, account=tenant.company, actor=tenant.admin,
                            acting_as=tenant.company_admin, action="DIRECT_ACCESS_START")
    await _unsubscribed_days_ago(gateway, tenant, tenant.company, 100)
    config = host.config_for(PLUGIN_NAME, ClientsConfig)
    assert await services.purge_due(host, config) == [tenant.company.id]

    account = await Account.get(id=tenant.company.id)
    assert account.name == f"#{account.id}" and account.email == ""
    people = await User.filter(account_id=account.id).values("login", "first_name",
                                                              "password_hash", "is_active")
    assert all(p["login"].endswith("@purged.invalid") and not p["first_name"]
               and p["password_hash"] is None and not p["is_active"] for p in people)
    assert (await AccountProfile.get(account_id=account.id)).purged_at is not None
    entry = await AuditEntry.get(account_id=account.id)
    assert entry.acting_as_id == tenant.company_admin.id
    # Gone from every list, and never purged twice.
    staff = await bearer_for(tenant.admin)
    assert account.id not in await _numbers(gateway, staff, None)
    assert await services.purge_due(host, config) == []
    # The person's address is free again.
    assert not await User.filter(login=tenant.company_admin.login).exists()


def test_purge_dry_run_from_the_command_line(migrated: str, tmp_path: Path) -> None:
    import asyncio

    from gateway import db
    from gateway.plugins import PluginHost
    from tests.conftest import make_settings, truncate_all

    settings = make_settings(migrated, tmp_path)

    async def prepare() -> int:
        host = PluginHost(settings)
        await db.init_db(host)
        try:
            await truncate_all()
            tenant = await make_tenant()
            await Account.filter(id=tenant.company.id).update(
                billing_status=BillingStatus.UNSUBSCRIBED,
                unsubscribed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=95))
            return tenant.company.id
        finally:
            await db.close_db()

    account_id = asyncio.run(prepare())
    env = {**os.environ, "DATABASE_URL": migrated, "GATEWAY_VAR_DIR": str(tmp_path),
           "GATEWAY_LOAD_PLUGINS": "", "SECRET_KEY": "test-secret-key-not-for-production"}
    result = subprocess.run([GATEWAY, "clients", "purge", "--dry-run"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(f"{account_id}  COMPANY")
    assert "1 account(s) would be archived and purged" in result.stdout
    assert "100%" in result.stderr  # the progress bar

    async def still_there() -> bool:
        host = PluginHost(settings)
        await db.init_db(host)
        try:
            return await Account.filter(id=account_id).exists()
        finally:
            await db.close_db()

    assert asyncio.run(still_there())
    purge = subprocess.run([GATEWAY, "clients", "purge"], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
    assert purge.returncode == 0, purge.stderr
    assert "1 account(s) archived and purged." in purge.stdout
    assert not asyncio.run(still_there())
