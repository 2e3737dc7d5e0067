"""``llmlog demo``: realistic LLM traffic for a store, written the way capture writes it."""
