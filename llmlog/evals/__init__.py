"""Turning logged calls into eval sets: selection (``select``) and formats (``formats``)."""
