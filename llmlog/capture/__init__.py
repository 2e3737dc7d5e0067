"""Capture: the httpx2 tee, provider parsers, call context, and the background writer."""
