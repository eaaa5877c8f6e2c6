"""Exports: the Companies list of 10,000 and of 100,000 accounts to CSV and to PDF through the
clients plugin's own export code (``plugins/clients/exports.py``: ``csv_chunks``, what the
download route streams, and ``render_export_pdf``, the PDF job), each export in a fresh child
process that reports its time and the peak resident memory of the process during the export
(Linux's VmHWM, reset just before it; ``getrusage`` elsewhere): memory must stay flat as rows
grow, so the figure is the peak at 100,000 rows against the peak at 10,000.

Baselines of the same run: for the CSV's time, the same rows read by one hand-written SQL
statement into ``csv.writer``; for the PDF's time, the CSV of the same rows.

    .venv/bin/python -m bench.exports [--quick] [--database postgres]
        [--set rows=100000] [--set small_rows=10000] [--set pdf_rows=N]

The PDF is rendered whatever ``pdf_max_rows`` says (that limit is on asking for an export,
which the bench skips: it times the rendering). ``pdf_rows`` (default: rows) sizes the PDF's
larger run. Quick: 2,000 and 20,000 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import time
from pathlib import Path
from typing import Any

from bench.support import (
    Options,
    Row,
    current_rss_mb,
    main_for,
    note,
    peak_rss_since_reset_mb,
    reset_peak_rss,
    run_child,
    settings_for,
)

BENCHMARK = "Exports"


# --- The child: one export, measured -----------------------------------------------------------

async def _measure(database_url: str, folder: Path, reseller_id: int, mode: str) -> dict[str, Any]:
    from gateway import db
    from gateway.identity.models import AccountKind
    from gateway.jobs import registry
    from gateway.plugins import PluginHost
    from plugins.clients import exports, listing
    from plugins.clients.models import AccountExport, ExportFormat, ExportStatus

    host = PluginHost(settings_for(database_url, folder))
    await db.init_db(host)
    try:
        query = listing.AccountListQuery(kind=AccountKind.COMPANY, reseller_id=reseller_id,
                                         order_field="NAME")
        export_format = ExportFormat.PDF if mode == "pdf" else ExportFormat.CSV
        export = await AccountExport.create(
            reseller_id=reseller_id, kind=AccountKind.COMPANY, format=export_format,
            language="fr", request=query.to_json())
        out = folder / f"export-{export.id}.{mode}"
        if mode == "pdf":
            import reportlab.pdfgen.canvas  # noqa: F401  (imported by the job, not measured)
        gc.collect()
        reset_peak_rss()
        before = current_rss_mb()
        started = time.perf_counter()
        if mode == "csv":
            rows = -1  # the header
            with out.open("wb") as fh:
                async for chunk in exports.csv_chunks(export):
                    fh.write(chunk)
                    rows += chunk.count(b"\n")
        elif mode == "csv-hand":
            rows = await _hand_written_csv(reseller_id, out)
        else:
            registry.set_host(host)
            await exports.render_export_pdf({"export_id": export.id})
            export = await AccountExport.get(id=export.id)
            assert export.status == ExportStatus.READY, export.error
            rows = export.row_count or 0
            out = exports.pdf_path(host, export.id)
        seconds = time.perf_counter() - started
        return {"mode": mode, "rows": rows, "seconds": seconds, "bytes": out.stat().st_size,
                "rss_before_mb": before, "rss_peak_mb": peak_rss_since_reset_mb()}
    finally:
        await db.close_db()


async def _hand_written_csv(reseller_id: int, out: Path) -> int:
    """The physical limit: one statement, every row at once, straight to csv.writer."""
    from tortoise import connections

    conn = connections.get("default")
    p = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        "SELECT a.id, a.name, COALESCE(a.organization_id, a.id) AS org_id, "
        "(SELECT COUNT(*) FROM core_user u WHERE u.account_id = a.id) AS users, a.can, "
        "a.receptionist_number, a.billing_status FROM core_account a "
        f"WHERE a.reseller_id = {p} AND a.kind = 'COMPANY' "
        "AND a.billing_status <> 'UNSUBSCRIBED' ORDER BY LOWER(a.name), a.id", [reseller_id])
    with out.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["CID", "Entreprise", "ORGID", "Utilisateurs", "CAN",
                         "Numéro de téléphone", "Facturation"])
        for r in rows:
            writer.writerow([r["id"], r["name"], r["org_id"], r["users"], r["can"],
                             r["receptionist_number"] or "", r["billing_status"]])
    return len(rows)


def child_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one export, measured (bench.exports' child)")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--reseller", type=int, required=True)
    parser.add_argument("--mode", choices=["csv", "csv-hand", "pdf"], required=True)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_measure(args.database_url, args.folder, args.reseller,
                                          args.mode))))


# --- The parent: data, children, rows ----------------------------------------------------------

async def prepare(settings: Any, sizes: list[int]) -> dict[int, int]:
    """A fresh database with one reseller per size; returns {size: reseller id}."""
    from bench.accounts_page import generate
    from bench.support import analyze, fresh_database
    from gateway import db
    from gateway.plugins import PluginHost

    host = PluginHost(settings)
    await fresh_database(host)
    await db.init_db(host)
    try:
        resellers = {}
        for n, size in enumerate(sorted(set(sizes))):
            resellers[size] = await generate(size, seed=11 + n, first_id=(n + 1) * 10_000_000,
                                             tag=f"X{n}")
        await analyze()
        return resellers
    finally:
        await db.close_db()


def measure(database_url: str, folder: Path, reseller: int, mode: str) -> dict[str, Any]:
    out = run_child("bench.exports", "--child", "--database-url", database_url,
                    "--folder", str(folder), "--reseller", str(reseller), "--mode", mode)
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _seconds(result: dict[str, Any]) -> str:
    return (f"{result['rows'] / result['seconds']:,.0f} rows/s ({result['seconds']:.2f} s, "
            f"{result['bytes'] / 1e6:.1f} MB)")


def _growth(result: dict[str, Any]) -> float:
    """How far the export took resident memory above where it started."""
    return result["rss_peak_mb"] - result["rss_before_mb"]


def _memory(result: dict[str, Any]) -> str:
    return (f"+{_growth(result):.0f} MB (peak {result['rss_peak_mb']:.0f} MB) "
            f"at {result['rows']:,} rows")


def _run(options: Options) -> list[Row]:
    rows = int(options.size("rows", 100_000, 20_000))
    small = int(options.size("small_rows", 10_000, 2_000))
    pdf_rows = int(options.size("pdf_rows", rows, rows))
    pdf_small = int(options.size("pdf_small_rows", small, small))
    folder = options.workdir / "exports"
    settings = settings_for(options.database_url("exports"), folder)
    note(f"exports: generating {small:,} + {rows:,} accounts on {options.database}")
    resellers = asyncio.run(prepare(settings, [rows, small, pdf_rows, pdf_small]))
    url = settings.database_url
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for mode, sizes in (("csv", (small, rows)), ("csv-hand", (rows,)),
                        ("pdf", (pdf_small, pdf_rows))):
        for size in sizes:
            result = measure(url, folder, resellers[size], mode)
            assert result["rows"] == size, (mode, size, result)
            results[(mode, size)] = result
            note(f"exports: {mode} {size:,} rows: {result['seconds']:.2f} s, "
                 f"{_memory(result)}")
    csv_big, csv_small = results[("csv", rows)], results[("csv", small)]
    hand = results[("csv-hand", rows)]
    pdf_big, pdf_small_result = results[("pdf", pdf_rows)], results[("pdf", pdf_small)]
    where = options.database
    csv_same = results.get(("csv", pdf_rows)) or csv_big
    def per_second(result: dict[str, Any]) -> float:
        return float(result["rows"] / result["seconds"])

    return [
        Row(BENCHMARK, f"CSV, {rows:,} accounts: rows/s", _seconds(csv_big),
            f"hand-written SQL + csv.writer {per_second(hand):,.0f} rows/s "
            f"({hand['seconds']:.2f} s)", per_second(csv_big) / per_second(hand), where),
        Row(BENCHMARK, "CSV: peak memory of the process", _memory(csv_big),
            _memory(csv_small), csv_big["rss_peak_mb"] / csv_small["rss_peak_mb"],
            "ratio ≈1× = flat"),
        Row(BENCHMARK, f"PDF, {pdf_rows:,} accounts: rows/s", _seconds(pdf_big),
            f"CSV of the same rows {per_second(csv_same):,.0f} rows/s",
            per_second(pdf_big) / per_second(csv_same), where),
        Row(BENCHMARK, "PDF: peak memory of the process", _memory(pdf_big),
            _memory(pdf_small_result),
            pdf_big["rss_peak_mb"] / pdf_small_result["rss_peak_mb"], "ratio ≈1× = flat"),
    ]


def run(options: Options) -> list[Row]:
    return _run(options)


if __name__ == "__main__":
    import sys

    if "--child" in sys.argv:
        child_main([a for a in sys.argv[1:] if a != "--child"])
    else:
        main_for("exports", run, __doc__.splitlines()[0])
