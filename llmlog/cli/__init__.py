"""The ``llmlog`` command: a thin shell over the library."""

import gc

# A command's start allocates ~1M objects while Typer, Rich and psycopg load; the default
# thresholds run ~10 ms of full collections over them, finding nothing to free.
gc.set_threshold(100_000, 50, 100)
