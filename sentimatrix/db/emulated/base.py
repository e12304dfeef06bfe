"""The emulated MongoDB engine: the real backend with an in-process mongomock-ng client.

Selected by ``MONGODB_URI=emulated://`` (see ``sentimatrix.db.engines``). Everything but the
client is ``django_mongodb_backend``: the same compiler, schema editor and introspection run
against ``mongomock_ng``, with ``sentimatrix.db.compat`` fixing where the emulator disagrees
with a real server. One process, nothing persisted: for tests and demos only.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import mongomock_ng
from django.utils.asyncio import async_unsafe
from django_mongodb_backend.base import DatabaseWrapper as MongoDatabaseWrapper
from django_mongodb_backend.utils import OperationDebugWrapper
from mongomock_ng.store import ServerStore

from sentimatrix.db import compat

logger = logging.getLogger("sentimatrix.db")

# Stores outlive clients: the backend closes and reopens its client around test-database
# creation, and with an in-process engine the store *is* the database.
_STORES: dict[str, ServerStore] = {}
_STORES_LOCK = threading.Lock()
_WARNED = False


def _store_for(host: str) -> ServerStore:
    with _STORES_LOCK:
        return _STORES.setdefault(host, ServerStore())


def reset_stores() -> None:
    """Forget every emulated database (tests of the engine itself use it)."""
    with _STORES_LOCK:
        _STORES.clear()


class DatabaseWrapper(MongoDatabaseWrapper):
    display_name = "MongoDB (emulated in-process by mongomock-ng)"

    def __init__(self, settings_dict: dict[str, Any], alias: str = "default") -> None:
        compat.install()
        super().__init__(settings_dict, alias=alias)

    def get_connection_params(self) -> dict[str, Any]:
        return {"host": self.settings_dict.get("HOST") or "emulated://"}

    @async_unsafe
    def get_new_connection(self, conn_params: dict[str, Any]) -> mongomock_ng.MongoClient:
        global _WARNED
        if not _WARNED:
            _WARNED = True
            logger.warning(
                "Using the EMULATED MongoDB engine (mongomock-ng, in-process): nothing is persisted, "
                "no TTL expiry, no $text search. For tests and demos only; set MONGODB_URI to a real "
                "mongodb:// URI for anything else."
            )
        if self.alias not in self._connection_pools:
            # mongomock parses the host like a MongoDB URI; the store keeps the data.
            client = mongomock_ng.MongoClient("mongodb://emulated:27017", _store=_store_for(conn_params["host"]))
            self._connection_pools.setdefault(self.alias, client)
        return self._connection_pools[self.alias]

    def get_collection(self, name: str, **kwargs: Any) -> Any:
        # The real backend builds pymongo.collection.Collection directly, which refuses a
        # mongomock database ("codec_options must be an instance of CodecOptions").
        collection = self.database.get_collection(name, **kwargs)
        if self.queries_logged:
            collection = OperationDebugWrapper(self, collection)
        return collection

    def close_pool(self) -> None:
        """Drop the client but keep the store: closing a mongomock client erases its data."""
        self.run_on_commit = []
        if self.session:
            self._end_session()
        if self.connection is None:
            return
        self.connection = None
        try:
            del self.database
        except AttributeError:
            pass
        self._connection_pools.pop(self.alias, None)
