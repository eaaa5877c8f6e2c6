"""Email templates: ``<name>.<lang>.subject``, ``.txt`` and ``.html`` files, per language.

Placeholders are :class:`string.Template`'s: ``$name`` or ``${name}``; write ``$$`` for a
literal dollar sign (``12,00 $$``). Values are escaped in the HTML part (wrap trusted markup in
:class:`SafeHtml` to keep it) and used as given in the subject and the plain text part.

Folders come from the ``gateway_email_templates`` hook, the core's own folder first, then the
plugins' in load order; when two folders hold the same template, the later one wins, so a
plugin can restyle a core message.
"""

from __future__ import annotations

import html
import logging
import os
import re
import string
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.i18n import LANGUAGES

if TYPE_CHECKING:
    from gateway.plugins import PluginHost

log = logging.getLogger("gateway.email")

CORE_TEMPLATES = Path(__file__).resolve().parent / "templates"
PARTS = ("subject", "txt", "html")


class EmailError(ValueError):
    """An email cannot be written as asked (address, language, attachment); said at enqueue."""


class EmailTemplateError(EmailError):
    """A template is missing, incomplete, malformed, or lacks a value."""


class SafeHtml(str):
    """Markup the caller built and escaped itself: inserted in the HTML part as is."""

    __slots__ = ()


@dataclass(frozen=True)
class RenderedEmail:
    """A template rendered in one language: what the message will say."""

    template: str
    language: str
    subject: str
    text: str
    html: str


def template_folders(gateway: PluginHost) -> list[Path]:
    """The folders the plugins contribute, in load order (core first); asked of the plugins
    once per host (their list does not change while it runs; each email asked it again, a
    seventh of an email's enqueueing)."""
    cached = _FOLDERS.get(gateway)
    if cached is None:
        cached = _FOLDERS[gateway] = _contributed_folders(gateway)
    return list(cached)


_FOLDERS: weakref.WeakKeyDictionary[PluginHost, list[Path]] = weakref.WeakKeyDictionary()


def _contributed_folders(gateway: PluginHost) -> list[Path]:
    folders: list[Path] = []
    for plugin, folder in gateway.each("gateway_email_templates"):
        path = Path(folder)
        if not path.is_dir():
            raise EmailTemplateError(
                f"plugin {plugin!r}: email template folder {str(path)!r} does not exist"
            )
        folders.append(path)
    return folders


def normalize_language(language: str) -> str:
    """``fr``, ``FR`` or ``fr-CA`` → ``fr``; anything but French or English is refused."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise EmailError(
            f"email language {language!r} is not supported: use one of {', '.join(LANGUAGES)}"
        )
    return code


def _find(folders: list[Path], name: str, language: str) -> Path | None:
    for folder in reversed(folders):
        if (folder / f"{name}.{language}.subject").is_file():
            return folder
    return None


def render_email(
    folders: list[Path], name: str, language: str, values: Mapping[str, Any]
) -> RenderedEmail:
    """Render template ``name`` in ``language``, or in the other language when this one has no
    version (logged); a template absent in both, or missing a value, is an error."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or ".." in name:
        raise EmailTemplateError(f"email template name {name!r} is not a plain file name")
    requested = normalize_language(language)
    folder, chosen, sources = _sources(folders, name, requested)
    plain = _plain_values(name, values)
    escaped = {
        key: value if isinstance(values[key], SafeHtml) else html.escape(value, quote=True)
        for key, value in plain.items()
    }
    subject = _substitute(folder / f"{name}.{chosen}.subject", sources["subject"], plain)
    return RenderedEmail(
        template=name,
        language=chosen,
        # A header is one line: a value with a newline must not start a new header.
        subject=" ".join(subject.split()),
        text=_substitute(folder / f"{name}.{chosen}.txt", sources["txt"], plain),
        html=_substitute(folder / f"{name}.{chosen}.html", sources["html"], escaped),
    )


# (folders, name, requested language) → what _read found and the files' stamps it relied on.
_READ: dict[tuple[tuple[Path, ...], str, str],
            tuple[tuple[Path, str, dict[str, str]],
                  tuple[tuple[str, tuple[int, int, int] | None], ...]]] = {}
_READ_MOST = 1024  # templates × languages × folder lists: a handful in practice


def _stamp(path: str) -> tuple[int, int, int] | None:
    """What tells a file changed (its time, size and inode: a rewrite or a replacement), or
    None when it does not exist."""
    try:
        found = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return found.st_mtime_ns, found.st_size, found.st_ino


def _sources(folders: list[Path], name: str,
             requested: str) -> tuple[Path, str, dict[str, str]]:
    """(folder, language, the parts' text) of template ``name``, read once and read again only
    when a file it was chosen by changes: each part's modification time, size and inode, and
    whether each language's subject exists in each folder (a later folder's copy, or a new
    translation, is picked up by the next email without a restart). Files are stamped before
    they are read: a change made meanwhile is read again by the next email."""
    key = (tuple(folders), name, requested)
    known = _READ.get(key)
    if known is not None and all(_stamp(path) == stamp for path, stamp in known[1]):
        found = known[0]
    else:
        stamps = {path: _stamp(path) for path in (
            str(f / f"{name}.{language}.subject") for f in folders for language in LANGUAGES)}
        found = _read(folders, name, requested, stamps)
        if len(_READ) >= _READ_MOST:
            _READ.clear()
        _READ[key] = (found, tuple(stamps.items()))
    folder, chosen, sources = found
    if chosen != requested:
        log.warning("email template %r has no %s version; sending the %s one",
                    name, requested, chosen)
    return folder, chosen, sources


def _read(folders: list[Path], name: str, requested: str,
          stamps: dict[str, tuple[int, int, int] | None]) -> tuple[Path, str, dict[str, str]]:
    """The template's folder, language and parts; each part's stamp taken into ``stamps``
    before it is read."""
    chosen = requested
    folder = _find(folders, name, requested)
    if folder is None:
        for other in LANGUAGES:
            if other != requested and (folder := _find(folders, name, other)) is not None:
                chosen = other
                break
    if folder is None:
        searched = ", ".join(str(f) for f in folders) or "(no folder)"
        raise EmailTemplateError(
            f"email template {name!r} does not exist in any language; looked for "
            f"{name}.<{'|'.join(LANGUAGES)}>.subject in {searched}"
        )
    sources: dict[str, str] = {}
    for part in PARTS:
        path = folder / f"{name}.{chosen}.{part}"
        stamps[str(path)] = _stamp(str(path))
        try:
            sources[part] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise EmailTemplateError(
                f"email template {name!r} ({chosen}) is incomplete: {path} is missing"
            ) from None
    return folder, chosen, sources


def _plain_values(name: str, values: Mapping[str, Any]) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            # "None" or an empty link in a message is worse than a refusal at enqueue.
            raise EmailTemplateError(f"email template {name!r}: value {key!r} is None")
        result[key] = str(value)
    return result


def _substitute(path: Path, source: str, values: Mapping[str, str]) -> str:
    try:
        return string.Template(source).substitute(values)
    except KeyError as exc:
        raise EmailTemplateError(f"{path}: no value given for ${exc.args[0]}") from None
    except ValueError as exc:
        raise EmailTemplateError(f"{path}: {exc} (write $$ for a dollar sign)") from None
