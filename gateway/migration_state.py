"""Migrating a fresh database in seconds rather than tens of seconds.

Tortoise's migration runner snapshots the whole model state before each operation
(``State.clone``) so that the operation can look at the models as they were. A snapshot renders
a Tortoise model class for every model of every app: with the core's and the plugins' ~130
migrations and ~80 models, a fresh ``gateway migrate`` spent most of its 8–15 s building classes
that were never looked at, since only some operations (removing, renaming or altering a field or
a model, RunPython) read the old models.

``lazy_snapshots()`` makes the snapshot's model states at once (cheap, and what later operations
must not change) and renders its model classes only when an operation first asks for them,
from those same states: the same classes as before, when they are needed.
"""

from __future__ import annotations

from tortoise.migrations.schema_generator.state import State
from tortoise.migrations.schema_generator.state_apps import StateApps


class _Snapshot(State):
    """A State whose ``apps`` are rendered on first use from the states copied at clone time."""

    _empty: StateApps | None = None

    @property
    def apps(self) -> StateApps:
        built = self.__dict__.get("_apps")
        if built is None:
            assert self._empty is not None
            built = self._empty.clone(model_states=self.models)
            self.__dict__["_apps"] = built
            self._empty = None
        return built

    @apps.setter
    def apps(self, value: StateApps) -> None:
        self.__dict__["_apps"] = value


def _clone(self: State) -> State:
    models = {key: model.clone() for key, model in self.models.items()}
    snapshot = _Snapshot(models=models, apps=None)  # type: ignore[arg-type]
    # What StateApps.clone takes from its source besides the model states: the connections,
    # as they are now.
    source = self.apps
    snapshot._empty = type(source)(default_connections=dict(source._default_connections),
                                   connections=source._connections)
    return snapshot


_installed = False
_installed_over = State.clone  # Tortoise's own (the tests compare both)


def lazy_snapshots() -> None:
    """Install the lazy snapshot once (idempotent)."""
    global _installed
    if not _installed:
        State.clone = _clone  # type: ignore[method-assign]
        _installed = True
