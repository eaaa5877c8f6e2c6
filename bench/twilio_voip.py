"""Twilio VoIP: incoming-call webhooks per second through the gateway (signature verified
with the account's decrypted token, replay guard, caller identified or made a contact, the
number's online operators read, the call row, TwiML) against a hand-written handler doing the
same essential work (the same signature check, the same two inserts, the same TwiML) in the
same process, on the same database.

    .venv/bin/python -m bench.twilio_voip [--quick] [--set calls=400] [--database postgres]

Both sides are driven in-process (no network, no uvicorn): the figure is the request's own
work. Every call comes from a new number, so ours also creates a contact each time: the
slowest path of an incoming call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from bench.support import Options, Row, fresh_database, main_for, note, settings_for

PUBLIC_URL = "https://voip.bench.example"
SID = "AC" + "b" * 32
TOKEN = "0123456789abcdef0123456789abcdef"


async def _setup(host: Any) -> tuple[int, str]:
    from gateway.identity.codes import new_can
    from gateway.identity.models import Account, AccountKind, Reseller, User, UserRole
    from plugins.twilio_voip.access import seal
    from plugins.twilio_voip.models import NumberOperator, Presence, TwilioAccount, VoipNumber

    reseller = await Reseller.create(name="Bench", can=new_can())
    account = await Account.create(reseller=reseller, kind=AccountKind.COMPANY, name="Bench",
                                   can=new_can(), email="bench@example.test")
    await TwilioAccount.create(account_id=account.id, account_sid=SID,
                               auth_token=seal(host, TOKEN), api_key_sid="SK" + "c" * 32,
                               api_key_secret=seal(host, "s" * 32),
                               application_sid="AP" + "d" * 32)
    number = await VoipNumber.create(account_id=account.id, sid="PN" + "e" * 32,
                                     phone_number="+15145550100")
    for n in range(2):
        user = await User.create(role=UserRole.EMPLOYEE, reseller=reseller, account=account,
                                 login=f"op{n}@example.test", email=f"op{n}@example.test",
                                 first_name="Op", last_name=str(n), password_hash="x")
        await NumberOperator.create(number_id=number.id, user_id=user.id,
                                    account_id=account.id)
        await Presence.create(user_id=user.id, account_id=account.id, online=True,
                              since=dt.datetime.now(dt.UTC))
    return account.id, number.phone_number


def _params(i: int, to: str) -> dict[str, str]:
    return {"AccountSid": SID, "CallSid": f"CA{i:032x}", "From": f"+1438{200 + i // 10000}"
            f"{i % 10000:04d}", "To": to, "CallStatus": "ringing", "Direction": "inbound"}


async def _baseline(account_id: int, to: str, bodies: list[tuple[bytes, str]]) -> float:
    """The hand-written handler: parse, verify, two inserts, TwiML; calls per second."""
    from tortoise import connections
    from twilio.request_validator import RequestValidator

    conn = connections.get("default")
    validator = RequestValidator(TOKEN)
    url = PUBLIC_URL + "/twilio/voice/incoming"
    postgres = conn.capabilities.dialect == "postgres"
    mark = "$1, $2" if postgres else "?, ?"
    insert = ("INSERT INTO twilio_voip_call (account_id, call_sid, direction, status, "
              "our_number, other_number, record, started_at, currency, voicemail, "
              f"recording_file, updated_at) VALUES ({mark.split(',')[0]}, "
              f"{mark.split(',')[1]}, 'INBOUND', 'RINGING', '{to}', 'x', false, "
              "CURRENT_TIMESTAMP, '', false, '', CURRENT_TIMESTAMP)")
    started = time.perf_counter()
    for body, signature in bodies:
        params = dict(parse_qsl(body.decode()))
        assert validator.validate(url, params, signature)
        await conn.execute_query(
            "INSERT INTO twilio_voip_webhook (key, created_at) VALUES "
            f"({mark.split(',')[0]}, CURRENT_TIMESTAMP)", ["b" + params["CallSid"]])
        await conn.execute_query(insert, [account_id, "B" + params["CallSid"][1:]])
        twiml = ('<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="20">'
                 "<Client>gw-user-1</Client><Client>gw-user-2</Client></Dial></Response>")
        assert twiml
    return len(bodies) / (time.perf_counter() - started)


async def measure(options: Options, calls: int) -> dict[str, float]:
    import httpx
    from twilio.request_validator import RequestValidator

    from gateway.app import create_app
    from gateway.plugins import PluginHost

    folder = options.workdir / "twilio_voip"
    settings = settings_for(options.database_url("twilio_voip"), folder,
                            public_url=PUBLIC_URL)
    host = PluginHost(settings)
    await fresh_database(host)
    from gateway import db

    await db.close_db()
    app = create_app(settings, host, migrate_on_start=False,
                     job_options={"in_process_workers": True})
    validator = RequestValidator(TOKEN)
    url = PUBLIC_URL + "/twilio/voice/incoming"
    async with app.router.lifespan_context(app):
        account_id, to = await _setup(host)
        requests = []
        for i in range(calls):
            params = _params(i, to)
            requests.append((urlencode(params).encode(),
                             validator.compute_signature(url, params)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            warm = _params(10**6, to)
            await client.post("/twilio/voice/incoming", content=urlencode(warm), headers={
                "X-Twilio-Signature": validator.compute_signature(url, warm),
                "Content-Type": "application/x-www-form-urlencoded"})
            started = time.perf_counter()
            for body, signature in requests:
                answer = await client.post("/twilio/voice/incoming", content=body, headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded"})
                assert answer.status_code == 200 and "<Client" in answer.text, answer.text
            ours = calls / (time.perf_counter() - started)
        baseline = await _baseline(account_id, to, requests)
    return {"ours": ours, "baseline": baseline, "calls": calls}


def run(options: Options) -> list[Row]:
    calls = int(options.size("calls", 400, 80))
    m = asyncio.run(measure(options, calls))
    note(f"twilio_voip: {calls} incoming calls, gateway {m['ours']:,.0f}/s, hand-written "
         f"{m['baseline']:,.0f}/s")
    return [Row("Twilio VoIP", f"incoming-call webhooks/s ({calls}, each from a new number)",
                f"{m['ours']:,.0f}/s", f"hand-written handler {m['baseline']:,.0f}/s",
                m["ours"] / m["baseline"],
                f"in-process ASGI, {options.database}; ours also makes a contact per call")]


if __name__ == "__main__":
    main_for("twilio_voip", run, __doc__.splitlines()[0])
