"""The schema revisions this llmlog knows, oldest first; the last is the one it needs.

Kept apart from Alembic so that every command can check the store without importing it;
``tests/migrations`` asserts this matches the migration scripts.
"""

ALL: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
)
HEAD = ALL[-1]
