"""Migration operations for what the ORM cannot declare: collection `$jsonSchema` validators.

A validator lives with the collection, not with a model field, so it is applied by a migration
(``SetJSONSchemaValidator``) like any index: ``manage.py migrate`` on an empty database gives the
full schema. Both engines run it: the real server evaluates the validator itself; the emulated one
through ``sentimatrix.db.compat``'s ``jsonschema_validator`` fix.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation


class SetJSONSchemaValidator(Operation):
    """``collMod`` the collection's validator to ``{"$jsonSchema": schema}``.

    ``level="moderate"`` leaves already-stored documents that do not match writable (MongoDB
    semantics), which is what a validator added to a populated collection needs; new
    collections use ``strict``. Reversing removes the validator, or restores ``previous``.
    """

    reversible = True
    reduces_to_sql = False

    def __init__(
        self,
        collection: str,
        schema: dict[str, Any],
        level: str = "strict",
        action: str = "error",
        previous: dict[str, Any] | None = None,
    ) -> None:
        if level not in {"strict", "moderate", "off"}:
            raise ValueError(f"validationLevel must be strict, moderate or off, not {level!r}")
        if action not in {"error", "warn"}:
            raise ValueError(f"validationAction must be error or warn, not {action!r}")
        self.collection = collection
        self.schema = schema
        self.level = level
        self.action = action
        self.previous = previous

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"collection": self.collection, "schema": self.schema}
        if self.level != "strict":
            kwargs["level"] = self.level
        if self.action != "error":
            kwargs["action"] = self.action
        if self.previous is not None:
            kwargs["previous"] = self.previous
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Validators are not part of Django's model state."""

    def _apply(self, schema_editor: Any, schema: dict[str, Any] | None, level: str, action: str) -> None:
        database = schema_editor.connection.database
        if self.collection not in database.list_collection_names():
            database.create_collection(self.collection)
        validator = {"$jsonSchema": schema} if schema else {}
        database.command(
            "collMod",
            self.collection,
            validator=validator,
            validationLevel=level if schema else "off",
            validationAction=action,
        )

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._apply(schema_editor, self.schema, self.level, self.action)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        self._apply(schema_editor, self.previous, "strict", "error")

    def describe(self) -> str:
        return f"Set the $jsonSchema validator of collection {self.collection}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.collection}_validator"


def collection_validator(database: Any, collection: str) -> dict[str, Any] | None:
    """The collection's current ``$jsonSchema`` (None when it has none); used by tests and db_stats."""
    validator = database[collection].options().get("validator") or {}
    return validator.get("$jsonSchema")
