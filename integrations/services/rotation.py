"""Re-encrypt every stored secret (API keys, webhook secrets) under the primary key (security.md 2).

Each row whose token is not under the primary key id is decrypted and re-encrypted, then written with a
compare-and-set on the old token, so a concurrent change (a rotated webhook secret, a deleted key) is never
overwritten. Only rows still under an old key are selected, which makes the run resumable: stop it at any
point and the next run continues; a second run after a complete one changes nothing. ``limit`` caps the rows
rotated (plus conflicts) per run; rows that cannot be decrypted are reported and passed over, not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q

from audit.services import record
from integrations.crypto import DecryptionError
from integrations.keys import get_keyring, reencrypt_field
from integrations.models import ApiKey, Webhook

__all__ = ["RotationReport", "secrets_rotate"]


@dataclass
class RotationReport:
    primary_key_id: str
    dry_run: bool
    checked: int = 0
    rotated: int = 0
    conflicts: int = 0  # the row changed while we worked; the next run picks it up if still needed
    failed: list[str] = field(default_factory=list)  # "<collection>/<id>.<field>: <reason>"
    by_field: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "primary_key_id": self.primary_key_id,
            "dry_run": self.dry_run,
            "checked": self.checked,
            "rotated": self.rotated,
            "conflicts": self.conflicts,
            "failed": len(self.failed),
            "by_field": dict(self.by_field),
        }


# (model, field, owner attribute)
_TARGETS: tuple[tuple[type[Model], str], ...] = (
    (ApiKey, "encrypted_key"),
    (Webhook, "encrypted_secret"),
    (Webhook, "previous_encrypted_secret"),
)


def _stale(model: type[Model], field_name: str, prefix: str, batch_size: int) -> Iterator[Any]:
    """Rows whose token is not under the primary key, in _id order, one batch query at a time."""
    last = None
    while True:
        rows = model.objects.exclude(**{f"{field_name}__startswith": prefix}).exclude(
            Q(**{f"{field_name}__isnull": True}) | Q(**{field_name: ""})
        )
        if last is not None:
            rows = rows.filter(pk__gt=last)
        batch = list(rows.order_by("pk").values("pk", "user_id", field_name)[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1]["pk"]


def secrets_rotate(
    *, dry_run: bool = False, batch_size: int = 500, limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> RotationReport:  # fmt: skip
    keyring = get_keyring()
    prefix = f"v1:{keyring.primary_id}:"
    report = RotationReport(primary_key_id=keyring.primary_id, dry_run=dry_run)
    for model, field_name in _TARGETS:
        collection = model._meta.db_table
        label = f"{collection}.{field_name}"
        for row in _stale(model, field_name, prefix, batch_size):
            # Only rows written (or lost to a concurrent change) count: a row that cannot be decrypted stays
            # selected forever, so counting it would let a few bad rows use up every resumed run's limit.
            if limit is not None and report.rotated + report.conflicts >= limit:
                break
            report.checked += 1
            old = row[field_name]
            try:
                new = reencrypt_field(
                    old, owner_id=row["user_id"], collection=collection, record_id=row["pk"], field=field_name
                )
            except DecryptionError as exc:
                report.failed.append(f"{collection}/{row['pk']}.{field_name}: {exc}")
                continue
            if dry_run:
                report.rotated += 1
                report.by_field[label] = report.by_field.get(label, 0) + 1
                continue
            updated = model.objects.filter(pk=row["pk"], **{field_name: old}).update(**{field_name: new})
            if updated:
                report.rotated += 1
                report.by_field[label] = report.by_field.get(label, 0) + 1
            else:
                report.conflicts += 1
        if progress:
            progress(f"{label}: rotated {report.by_field.get(label, 0)}")
    if not dry_run:
        record(
            event_type="encryption.keys_rotated",
            actor=None,
            success=not report.failed,
            metadata=report.as_dict(),
        )
    return report
