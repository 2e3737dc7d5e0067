"""The demo application: its models, features and how often each is used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    """A model as an application calls it, with how fast it usually answers."""

    provider: str
    endpoint: str
    name: str  # as requested
    response_model: str  # as the provider reports it
    ttft_ms: float  # median time to first token
    tokens_per_s: float
    reasoning: bool = False


MODELS = {
    m.name: m
    for m in (
        Model("openai", "chat.completions", "gpt-4.1-nano", "gpt-4.1-nano-2025-04-14", 260, 190),
        Model("openai", "chat.completions", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", 380, 110),
        Model("openai", "chat.completions", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 420, 95),
        Model("openai", "chat.completions", "gpt-4.1", "gpt-4.1-2025-04-14", 520, 75),
        Model("openai", "responses", "gpt-5-mini", "gpt-5-mini-2025-08-07", 950, 85, True),
        Model("anthropic", "messages", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 360, 140),
        Model("anthropic", "messages", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 720, 68),
        Model("anthropic", "messages", "claude-opus-4-1", "claude-opus-4-1-20250805", 1300, 36),
    )
}


@dataclass(frozen=True)
class Feature:
    """One LLM feature of the demo application.

    ``versions`` are its prompt versions in order; the last takes over at ``switch_at``
    (a fraction of the demo period), so ``llmlog drift --by prompt_version`` has a story.
    ``models_before`` are the models used before ``migrate_at``, for ``--by model``.
    """

    name: str
    models: tuple[tuple[str, float], ...]  # (model name, weight)
    versions: tuple[str, ...]
    app: str
    max_tokens: int
    stream: float = 0.0  # share of calls streamed
    feedback: float = 0.0  # share of calls rated by the user
    temperature: float | None = None
    json_mode: bool = False
    cached: bool = False  # long shared prefix: provider prompt caching applies
    tools: bool = False
    refusals: float = 0.0
    switch_at: float = 0.5
    models_before: tuple[tuple[str, float], ...] | None = None
    migrate_at: float = 0.35


FEATURES = {
    f.name: f
    for f in (
        Feature("support_triage", (("gpt-4.1-mini", 0.8), ("gpt-4o-mini", 0.2)), ("v2",),
                "helpdesk-api", 300, temperature=0.0, json_mode=True, cached=True,
                models_before=(("gpt-4o-mini", 1.0),)),
        Feature("ticket_summary", (("claude-haiku-4-5", 0.7), ("claude-sonnet-4-5", 0.3)),
                ("v3", "v4"), "helpdesk-web", 1024, stream=0.3, feedback=0.07),
        Feature("reply_draft", (("claude-sonnet-4-5", 0.85), ("gpt-4.1", 0.15)), ("v1",),
                "helpdesk-web", 1024, stream=0.9, feedback=0.18, temperature=0.4,
                cached=True, refusals=0.01),
        Feature("intent_classifier", (("gpt-4.1-nano", 1.0),), ("v5",), "chat-widget", 60,
                temperature=0.0, json_mode=True),
        Feature("query_rewrite", (("gpt-4.1-nano", 1.0),), ("v2",), "chat-widget", 80,
                temperature=0.0),
        Feature("rag_answer", (("claude-sonnet-4-5", 0.5), ("gpt-4.1-mini", 0.5)), ("v7",),
                "chat-widget", 400, stream=1.0, feedback=0.1, temperature=0.2, cached=True,
                refusals=0.025),
        Feature("sql_helper", (("gpt-5-mini", 1.0),), ("v3",), "analytics-copilot", 2000,
                stream=0.6, feedback=0.08, tools=True),
        Feature("order_agent", (("claude-sonnet-4-5", 0.7), ("claude-haiku-4-5", 0.3)), ("v4",),
                "shop-assistant", 1024, stream=0.3, feedback=0.04, cached=True, tools=True,
                refusals=0.005),
        Feature("invoice_extract", (("gpt-4o-mini", 0.6), ("gpt-4.1-mini", 0.4)), ("v2",),
                "finance-ops", 800, temperature=0.0, tools=True),
        Feature("meeting_notes", (("claude-sonnet-4-5", 0.75), ("claude-opus-4-1", 0.25)),
                ("v1",), "notes", 1500, stream=0.5, feedback=0.05, cached=True),
    )
}  # fmt: skip

DRIFT_FEATURE = "ticket_summary"  # the feature whose prompt version changes mid-period

# What a user does, with its share of all interactions; each flow is one trace.
FLOWS: tuple[tuple[str, float], ...] = (
    ("intent_classifier", 0.17),
    ("support_triage", 0.16),
    ("help_chat", 0.16),  # [intent_classifier ->] query_rewrite -> rag_answer
    ("ticket_summary", 0.12),
    ("reply_draft", 0.10),
    ("invoice_extract", 0.09),
    ("sql_helper", 0.08),
    ("order_agent", 0.07),
    ("meeting_notes", 0.05),
)

# A bulk job gone wrong: in the last hours one tenant backfills invoices on the priciest model,
# so ``llmlog top-tenants`` has an outlier to flag today.
SPIKE_TENANT, SPIKE_FEATURE, SPIKE_MODEL = "initech", "invoice_extract", "claude-opus-4-1"
SPIKE_HOURS, SPIKE_SHARE = 20, 0.25  # share of all interactions in those hours

# An agent stuck in a loop: once, the order agent re-checks an order for dozens of steps,
# resending the growing conversation each time (one trace, many calls, a real bill).
STUCK_AT, STUCK_STEPS = 0.85, 40  # when (share of period), model calls
STUCK_TENANT, STUCK_MODEL = "globex", "claude-sonnet-4-5"

# Features whose users come back within minutes: calls are grouped into sessions.
SESSION_FEATURES = frozenset(
    {"help_chat", "reply_draft", "sql_helper", "order_agent", "ticket_summary"}
)
