"""A test plugin that is its own Tortoise app (label ``hooks_probe``) with one migration."""

from __future__ import annotations

from typing import Any

from gateway.contributions import ModelApp
from gateway.hookimpl import hookimpl

APP = ModelApp(
    label="hooks_probe",
    models=["tests.support.probe_models"],
    migrations="tests.support.probe_migrations",
)


@hookimpl
def gateway_models(gateway: Any) -> Any:
    return APP
