"""Migration operations that keep a large table writable while its indexes change.

PostgreSQL builds and drops these indexes ``CONCURRENTLY`` (no lock that makes writes wait;
the migration must be ``atomic = False``); SQLite, the zero-setup run, does it the plain way.
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


class _PlainWhereNotPostgres:
    """Runs the ``plain`` operation's SQL on any database but PostgreSQL."""

    plain: type

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)
        return super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)
        return super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexWithoutLocking(_PlainWhereNotPostgres, AddIndexConcurrently):
    """``AddIndex``, built concurrently on PostgreSQL."""

    plain = AddIndex


class RemoveIndexWithoutLocking(_PlainWhereNotPostgres, RemoveIndexConcurrently):
    """``RemoveIndex``, dropped concurrently on PostgreSQL."""

    plain = RemoveIndex
