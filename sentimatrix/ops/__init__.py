"""Operations: the logic behind the housekeeping commands (indexes, stats, backups, retention).

Modules here are shared by the management commands in ``sentimatrix/management/commands`` and
by their tests. ``indexes`` and ``archive`` are pure (no Django models); the others read the
database through ``django.db.connection``.
"""
