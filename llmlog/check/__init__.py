"""`llmlog check`: alert rules over the store, for cron.

``rules`` reads the rule file, ``evaluate`` computes each rule's metric per scope,
``state`` keeps what fires in the store, ``notify`` posts to a webhook and ``run`` ties
them together.
"""
