"""File names given by a client, made safe to store and to show.

A name is the client's text: besides directories (``..\\..\\x``), it may carry control characters
(a newline forging a line of a log or of a CSV manifest) and Unicode « format » characters — the
bidirectional overrides (U+202E turns ``rapport‮fdp.exe`` into « rapportexe.pdf » on screen), zero
widths, isolates. ``clean_filename`` keeps the last path component, drops every character of the
Unicode categories Cc, Cf, Zl, Zp, Co, Cs and Cn, normalises (NFC) and trims to 255 characters. Every
model holding an uploaded file's name cleans it on save, and downloads clean it again.
"""

import unicodedata
from pathlib import PurePosixPath

_DROPPED = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}


def clean_filename(name: str | None, default: str = "fichier") -> str:
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)
    text = PurePosixPath(text.replace("\\", "/")).name.strip().strip(".")
    text = text[:255].strip()
    return text or default


#: Models storing an uploaded file's client name in ``original_name``: cleaned on every save,
#: whatever the path (services, API, admin site).
NAMED_UPLOAD_MODELS = ("candidates.Piece", "candidates.ImportJob", "referentiels.RncpImportJob")


def _clean_original_name(sender, instance, **kwargs) -> None:
    instance.original_name = clean_filename(instance.original_name)


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import pre_save

    for label in NAMED_UPLOAD_MODELS:
        pre_save.connect(
            _clean_original_name, sender=apps.get_model(label), dispatch_uid=f"clean_filename:{label}"
        )
