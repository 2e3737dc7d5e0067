"""The ``llmlog`` command: a thin shell over the library."""
