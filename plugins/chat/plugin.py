"""The chat plugin's hook implementations (service hours by language, live conversations over
GraphQL subscriptions; issue #17), and nothing else: the rules are in ``hours``,
``availability`` and ``schedules`` (service hours) and in the conversation modules; the GraphQL
is imported inside the hooks that return it."""

from __future__ import annotations

from pathlib import Path

from gateway.api import Job, ModelApp, PluginHost, hookimpl

from .config import PLUGIN_NAME, ChatConfig

PACKAGE = __name__.rpartition(".")[0]


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label=PLUGIN_NAME,
                    models=[f"{PACKAGE}.models", f"{PACKAGE}.conversation_models"],
                    migrations=f"{PACKAGE}.migrations")


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    # Parsed once here: a bad value stops start-up naming the plugin and the key.
    gateway.config_for(PLUGIN_NAME, ChatConfig)


# --- live conversations (conversations, events, conversation_schema) --------------------------

@hookimpl
def gateway_query(gateway: PluginHost) -> list[type]:
    from .conversation_schema import ChatLiveQuery
    from .hours_schema import ChatHoursQuery

    return [ChatHoursQuery, ChatLiveQuery]


@hookimpl
def gateway_mutation(gateway: PluginHost) -> list[type]:
    from .conversation_schema import ChatLiveMutation
    from .hours_schema import ChatHoursMutation

    return [ChatHoursMutation, ChatLiveMutation]


@hookimpl
def gateway_subscription(gateway: PluginHost) -> list[type]:
    from .conversation_schema import ChatLiveSubscription

    return [ChatLiveSubscription]


@hookimpl
def gateway_jobs(gateway: PluginHost) -> list[Job]:
    from . import conversations

    return [Job(name=conversations.TRANSCRIPT_JOB, handler=conversations.transcript_job,
                max_attempts=5, backoff_seconds=30.0)]


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return Path(__file__).with_name("templates")

