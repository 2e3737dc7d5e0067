"""``llmlog proxy``: capture from any language through a provider-compatible HTTP proxy."""
