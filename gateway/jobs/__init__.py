"""Durable jobs: the outbox, its relay to Dramatiq, the actors and the scheduler."""

from gateway.jobs.outbox import enqueue

__all__ = ["enqueue"]
