"""``llmlog ui``: a local web app over the store (calls, a call, replay and diff, dashboards).

Its dependencies (the ``ui`` extra: uvicorn, Starlette, Jinja2) load only when the command
runs; importing ``llmlog`` never imports this package.
"""
