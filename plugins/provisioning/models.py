"""Tables of the provisioning plugin (Tortoise app ``provisioning``). Docstrings here become
table comments: no quote, no semicolon.

Operations name their account by number, not by a foreign key: the purge deletes the account
but its ACCOUNT_PURGED operation must still be delivered."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from plugins.provisioning.api import OperationKind


class OperationStatus(StrEnum):
    PENDING = "PENDING"  # a job is delivering it (or will try again)
    DONE = "DONE"  # every provisioner carried it out
    FAILED = "FAILED"  # the job gave up: shown on the account until staff retry it


class Operation(Model):
    """One provisioning operation of an account, delivered in order to every provisioner."""

    id = fields.IntField(primary_key=True)  # the order of an account's operations
    key = fields.CharField(max_length=32, unique=True)  # the idempotency key provisioners get
    reseller_id = fields.IntField()
    account_id = fields.IntField()  # the CID / UID (no foreign key: see the module)
    kind = fields.CharEnumField(OperationKind, max_length=32)
    number = fields.CharField(max_length=20, null=True)
    user_id = fields.IntField(null=True)
    phone_system = fields.CharField(max_length=100, default="")
    provider = fields.CharField(max_length=100, default="")
    snapshot: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharEnumField(OperationStatus, max_length=16,
                                  default=OperationStatus.PENDING)
    attempts = fields.IntField(default=0)
    last_error_en = fields.TextField(default="")
    last_error_fr = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "provisioning_operation"
        indexes = [Index(fields=("account_id", "status")), Index(fields=("reseller_id",))]


class Outcome(Model):
    """What one provisioner made of one operation: done, or its attempts and last error."""

    id = fields.IntField(primary_key=True)
    operation: fields.ForeignKeyRelation[Operation] = fields.ForeignKeyField(
        "provisioning.Operation", related_name=False, on_delete=fields.CASCADE)
    operation_id: int
    provisioner = fields.CharField(max_length=64)
    status = fields.CharEnumField(OperationStatus, max_length=16,
                                  default=OperationStatus.PENDING)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")  # the provisioner's message, never a traceback
    updated_at = fields.DatetimeField(auto_now=True)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "provisioning_outcome"
        unique_together = (("operation_id", "provisioner"),)


class Record(Model):
    """What the built-in recorder wrote down for one operation, once, in fr and en."""

    id = fields.IntField(primary_key=True)
    operation: fields.ForeignKeyRelation[Operation] = fields.ForeignKeyField(
        "provisioning.Operation", related_name=False, on_delete=fields.CASCADE)
    operation_id: int
    provisioner = fields.CharField(max_length=64)
    text_en = fields.TextField()
    text_fr = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "provisioning_record"
        unique_together = (("operation_id", "provisioner"),)
