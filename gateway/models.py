"""Core tables every plugin can rely on (app label ``core``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class OutboxStatus(StrEnum):
    PENDING = "pending"  # written with the state change, waiting for the relay
    QUEUED = "queued"  # handed to the broker
    RUNNING = "running"  # an actor claimed it
    DONE = "done"
    FAILED = "failed"  # attempts exhausted; a system admin may re-run it


class OutboxJob(Model):
    """A job written in the same transaction as the state change that asks for it."""

    id = fields.BigIntField(primary_key=True)
    job = fields.CharField(max_length=120)
    payload: dict[str, Any] = fields.JSONField(default=dict)
    status = fields.CharEnumField(OutboxStatus, default=OutboxStatus.PENDING, max_length=16)
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=5)
    run_after = fields.DatetimeField()
    last_error = fields.TextField(null=True)
    dedupe_key = fields.CharField(max_length=200, null=True, unique=True)
    request_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_outbox_job"
        indexes = [Index(fields=("status", "run_after")), Index(fields=("job", "status"))]
