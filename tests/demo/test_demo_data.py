"""What ``llmlog demo`` stores: the properties every report command relies on."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from llmlog import pricing
from llmlog.demo.catalogue import FEATURES, MODELS, SPIKE_TENANT, STUCK_TENANT
from llmlog.ids import ts_of
from tests.demo.conftest import CALLS, DAYS


def scalar(conn: psycopg.Connection, sql: str) -> object:
    return conn.execute(sql).fetchone()[0]  # type: ignore[index]


def test_stores_exactly_the_calls_asked_for(demo: psycopg.Connection) -> None:
    assert scalar(demo, "SELECT count(*) FROM llm_calls") == CALLS
    assert scalar(demo, "SELECT count(DISTINCT id) FROM llm_calls") == CALLS


def test_timestamps_span_the_period_up_to_now_and_come_from_the_ids(
    demo: psycopg.Connection, demo_end: datetime
) -> None:
    first, last = demo.execute("SELECT min(ts), max(ts) FROM llm_calls").fetchone()  # type: ignore[misc]
    assert demo_end - timedelta(days=DAYS) <= first < demo_end - timedelta(days=DAYS - 1)
    assert demo_end - timedelta(hours=2) < last <= demo_end  # nothing in the future
    for call_id, ts in demo.execute("SELECT id, ts FROM llm_calls LIMIT 200"):
        assert ts == ts_of(call_id)


def test_ten_features_on_both_providers_and_all_three_endpoints(
    demo: psycopg.Connection,
) -> None:
    features = {r[0] for r in demo.execute("SELECT DISTINCT feature FROM llm_calls")}
    assert features == set(FEATURES)
    assert 9 <= len(features) <= 12
    pairs = set(demo.execute("SELECT DISTINCT provider, endpoint FROM llm_calls").fetchall())
    assert pairs == {("openai", "chat.completions"), ("openai", "responses"),
                     ("anthropic", "messages")}  # fmt: skip
    models = {r[0] for r in demo.execute("SELECT DISTINCT model FROM llm_calls")}
    assert models == set(MODELS)


def test_errors_are_two_to_three_percent_of_calls_with_provider_kinds(
    demo: psycopg.Connection,
) -> None:
    errors = scalar(demo, "SELECT count(*) FROM llm_calls WHERE status = 'error'")
    assert 0.015 * CALLS <= errors <= 0.035 * CALLS  # type: ignore[operator]
    kinds = set(
        demo.execute(
            "SELECT provider, coalesce(http_status, 0), error_type FROM llm_calls "
            "WHERE status = 'error'"
        ).fetchall()
    )
    # error_type as capture records it: one word per cause, whichever the provider.
    assert {
        ("openai", 429, "rate_limit"),
        ("openai", 500, "server_error"),
        ("openai", 503, "overloaded"),
        ("anthropic", 429, "rate_limit"),
        ("anthropic", 529, "overloaded"),
        ("openai", 0, "timeout"),
    } <= kinds
    words = demo.execute(
        "SELECT DISTINCT metadata->'provider_error' FROM llm_calls WHERE status = 'error' "
        "AND provider = 'openai' AND http_status = 429"
    ).fetchall()
    assert words == [({"type": "tokens", "code": "rate_limit_exceeded"},)]  # the provider's own
    assert {status for _, status, _ in kinds} == {0, 429, 500, 503, 529}
    broken = scalar(
        demo,
        "SELECT count(*) FROM llm_calls WHERE status = 'error' AND (finish_reason <> 'error' "
        "OR error_message IS NULL OR output_text IS NOT NULL OR cost_usd IS NOT NULL)",
    )
    assert broken == 0


def test_traces_have_children_whose_parents_are_earlier_calls_of_the_same_trace(
    demo: psycopg.Connection,
) -> None:
    children = scalar(demo, "SELECT count(*) FROM llm_calls WHERE parent_id IS NOT NULL")
    assert children > 0.1 * CALLS  # type: ignore[operator]
    orphans = scalar(
        demo,
        "SELECT count(*) FROM llm_calls c LEFT JOIN llm_calls p ON p.id = c.parent_id "
        "AND p.trace_id = c.trace_id AND p.ts <= c.ts "
        "WHERE c.parent_id IS NOT NULL AND p.id IS NULL",
    )
    assert orphans == 0
    depth3 = scalar(
        demo,
        "SELECT count(*) FROM llm_calls c JOIN llm_calls p ON p.id = c.parent_id "
        "WHERE p.parent_id IS NOT NULL",
    )
    assert depth3 > 0  # intent -> rewrite -> answer chains
    roots_not_own_trace = scalar(
        demo,
        "SELECT count(*) FROM llm_calls WHERE parent_id IS NULL AND trace_id <> id::text "
        "AND metadata->>'attempt' = '1'",
    )
    assert roots_not_own_trace == 0
    retried = scalar(
        demo,
        "SELECT count(*) FROM llm_calls r JOIN llm_calls f ON f.trace_id = r.trace_id "
        "AND f.status = 'error' AND f.ts <= r.ts AND f.feature = r.feature "
        "AND f.parent_id IS NOT DISTINCT FROM r.parent_id "
        "WHERE r.metadata->>'attempt' = '2' AND r.status = 'ok'",
    )
    assert retried > 0  # SDK retries: the failed attempt and the retry share trace and parent


def test_stored_cost_is_genai_prices_cost_of_the_raw_response(demo: psycopg.Connection) -> None:
    """Every model with and without cache reads and writes, plus a random 200 calls."""
    import genai_prices

    rows = demo.execute(
        "(SELECT DISTINCT ON (model, cache_read_tokens > 0, cache_write_tokens > 0) "
        " provider, endpoint, response, ts, cost_usd FROM llm_calls WHERE status = 'ok' "
        " ORDER BY model, cache_read_tokens > 0, cache_write_tokens > 0, ts) "
        "UNION ALL (SELECT provider, endpoint, response, ts, cost_usd FROM llm_calls "
        " WHERE status = 'ok' ORDER BY id LIMIT 200)"
    ).fetchall()
    assert len(rows) >= len(MODELS) + 200
    for provider, endpoint, response, ts, stored in rows:
        usage = genai_prices.extract_usage(
            response, provider_id=provider, api_flavor=pricing.API_FLAVOR[endpoint]
        )
        expected = Decimal(usage.calc_price(genai_request_timestamp=ts).total_price)
        assert stored == expected.quantize(Decimal("1e-10")), (response["model"], usage)
    unpriced = "SELECT count(*) FROM llm_calls WHERE status = 'ok' AND cost_usd IS NULL"
    assert scalar(demo, unpriced) == 0


def test_prompt_version_change_makes_summaries_much_longer(demo: psycopg.Connection) -> None:
    rows = dict(
        demo.execute(
            "SELECT prompt_version, avg(output_tokens) FROM llm_calls "
            "WHERE feature = 'ticket_summary' AND status = 'ok' GROUP BY 1"
        ).fetchall()
    )
    assert rows.keys() == {"v3", "v4"}
    assert rows["v4"] > 2 * rows["v3"]
    last_v3, first_v4 = demo.execute(
        "SELECT max(ts) FILTER (WHERE prompt_version = 'v3'), "
        "min(ts) FILTER (WHERE prompt_version = 'v4') FROM llm_calls "
        "WHERE feature = 'ticket_summary'"
    ).fetchone()  # type: ignore[misc]
    assert last_v3 < first_v4


def test_tenants_and_users_have_a_skewed_share_of_traffic(demo: psycopg.Connection) -> None:
    tenants = [r[0] for r in demo.execute(
        "SELECT count(*) FROM llm_calls GROUP BY tenant_id ORDER BY 1 DESC")]  # fmt: skip
    assert len(tenants) >= 30
    assert tenants[0] > 0.12 * CALLS
    assert tenants[0] > 5 * statistics.median(tenants)
    users = [r[0] for r in demo.execute(
        "SELECT count(*) FROM llm_calls WHERE tenant_id = 'acme' GROUP BY user_id "
        "ORDER BY 1 DESC")]  # fmt: skip
    assert users[0] > 5 * statistics.median(users)


def test_streamed_calls_have_time_to_first_token_below_latency(demo: psycopg.Connection) -> None:
    streamed, with_ttft, bad = demo.execute(
        "SELECT count(*) FILTER (WHERE streamed), "
        "count(*) FILTER (WHERE streamed AND ttft_ms IS NOT NULL), "
        "count(*) FILTER (WHERE (ttft_ms IS NOT NULL) <> (streamed AND status = 'ok') "
        "OR ttft_ms >= latency_ms) FROM llm_calls"
    ).fetchone()  # type: ignore[misc]
    assert streamed > 0.2 * CALLS
    assert bad == 0
    assert with_ttft > 0
    flagged = scalar(
        demo,
        "SELECT count(*) FROM llm_calls "
        "WHERE streamed <> coalesce((request->>'stream')::bool, false)",
    )
    assert flagged == 0


def test_latency_is_lognormal_with_a_slow_tail(demo: psycopg.Connection) -> None:
    p50, p99 = demo.execute(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), "
        "percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FROM llm_calls "
        "WHERE status = 'ok'"
    ).fetchone()  # type: ignore[misc]
    assert 300 < p50 < 5000
    assert p99 > 4 * p50


def test_traffic_follows_the_daily_cycle(demo: psycopg.Connection) -> None:
    night, afternoon = demo.execute(
        "SELECT count(*) FILTER (WHERE extract(hour FROM ts AT TIME ZONE 'UTC') BETWEEN 1 AND 4), "
        "count(*) FILTER (WHERE extract(hour FROM ts AT TIME ZONE 'UTC') BETWEEN 13 AND 16) "
        "FROM llm_calls"
    ).fetchone()  # type: ignore[misc]
    assert afternoon > 3 * night


def test_feedback_refusals_tools_caching_and_sessions_are_present(
    demo: psycopg.Connection,
) -> None:
    counts = demo.execute(
        "SELECT count(*) FILTER (WHERE feedback = 1), count(*) FILTER (WHERE feedback = -1), "
        "count(*) FILTER (WHERE feedback_note IS NOT NULL), "
        "count(*) FILTER (WHERE finish_reason = 'refusal'), "
        "count(*) FILTER (WHERE finish_reason = 'tool_calls'), "
        "count(*) FILTER (WHERE cache_read_tokens > 0), "
        "count(*) FILTER (WHERE cache_write_tokens > 0), "
        "count(*) FILTER (WHERE reasoning_tokens > 0), "
        "count(DISTINCT session_id) FROM llm_calls"
    ).fetchone()
    up, down, notes, refusals, tools, reads, writes, reasoning, sessions = counts  # type: ignore[misc]
    assert 0.015 * CALLS < up + down < 0.1 * CALLS
    assert up > down > 0 and notes > 0
    assert refusals > 0 and tools > 0.05 * CALLS
    assert reads > 0 and writes > 0 and reasoning > 0
    assert 0 < sessions < CALLS / 2
    shapes = demo.execute(
        "SELECT DISTINCT jsonb_typeof(t->'arguments'), t ? 'id', t ? 'name' "
        "FROM llm_calls, jsonb_array_elements(tool_calls) t"
    ).fetchall()
    assert shapes == [("string", True, True)]


def test_request_and_response_bodies_have_each_providers_shape(demo: psycopg.Connection) -> None:
    rows = demo.execute(
        "SELECT DISTINCT ON (endpoint) endpoint, request, response, response_model, "
        "system_prompt, input_tokens FROM llm_calls WHERE status = 'ok' "
        "ORDER BY endpoint, ts"
    ).fetchall()
    by_endpoint = {r[0]: r[1:] for r in rows}
    request, response, model, system, inputs = by_endpoint["chat.completions"]
    assert request["messages"][0] == {"role": "system", "content": system}
    assert response["object"] == "chat.completion" and response["model"] == model
    assert response["usage"]["prompt_tokens"] == inputs
    request, response, model, system, inputs = by_endpoint["responses"]
    assert request["instructions"] == system and response["object"] == "response"
    assert response["usage"]["input_tokens"] == inputs
    request, response, model, system, inputs = by_endpoint["messages"]
    sent = request["system"]
    assert (sent if isinstance(sent, str) else sent[0]["text"]) == system
    assert response["type"] == "message" and response["model"] == model
    usage = response["usage"]
    total = usage["input_tokens"] + usage["cache_read_input_tokens"]
    assert total + usage["cache_creation_input_tokens"] == inputs


def test_support_triage_migrates_from_gpt_4o_mini_to_gpt_4_1_mini(
    demo: psycopg.Connection, demo_end: datetime
) -> None:
    migrated = demo_end - timedelta(days=DAYS * (1 - FEATURES["support_triage"].migrate_at))
    before, after = (
        dict(
            demo.execute(
                f"SELECT model, count(*) FROM llm_calls WHERE feature = 'support_triage' "
                f"AND ts {op} %s GROUP BY 1",
                (migrated,),
            ).fetchall()
        )
        for op in ("<", ">=")
    )
    assert set(before) == {"gpt-4o-mini"}
    assert after["gpt-4.1-mini"] > 2 * after["gpt-4o-mini"]


def test_one_tenant_spends_far_above_its_normal_in_the_last_hours(
    demo: psycopg.Connection, demo_end: datetime
) -> None:
    recent, usual = demo.execute(
        "SELECT sum(cost_usd) FILTER (WHERE ts >= %(cut)s), "
        "sum(cost_usd) FILTER (WHERE ts < %(cut)s) / (%(days)s - 1) FROM llm_calls "
        "WHERE tenant_id = %(tenant)s",
        {"cut": demo_end - timedelta(days=1), "days": DAYS, "tenant": SPIKE_TENANT},
    ).fetchone()  # type: ignore[misc]
    assert recent > 3 * usual
    jobs = scalar(
        demo,
        "SELECT count(*) FROM llm_calls WHERE metadata->>'job' = 'invoice-backfill' "
        f"AND tenant_id = '{SPIKE_TENANT}' AND model = 'claude-opus-4-1'",
    )
    assert jobs > 0


def test_help_chat_answers_the_rewritten_question_and_remembers_the_session(
    demo: psycopg.Connection,
) -> None:
    rows = demo.execute(
        "SELECT r.request, a.request FROM llm_calls a JOIN llm_calls r ON r.id = a.parent_id "
        "WHERE a.feature = 'rag_answer' AND r.feature = 'query_rewrite' LIMIT 50"
    ).fetchall()
    assert rows
    for rewrite, answer in rows:
        question = _text(_messages(rewrite)[-1])
        assert _text(_messages(answer)[-1]).startswith(f"Question: {question}\n")
    follow_ups = demo.execute(
        "SELECT session_id, request FROM llm_calls WHERE feature = 'rag_answer' "
        "AND jsonb_array_length(coalesce(request->'messages', request->'input')) > 2"
    ).fetchall()
    assert follow_ups  # earlier questions and answers of the session sent again
    session, request = follow_ups[0]
    earlier = [_text(m) for m in _messages(request) if m["role"] == "assistant"]
    answers = {r[0] for r in demo.execute(
        "SELECT output_text FROM llm_calls WHERE session_id = %s AND feature = 'rag_answer'",
        (session,),
    )}  # fmt: skip
    assert set(earlier) <= answers


def _messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """User and assistant messages of a chat or Messages request (not the system one)."""
    messages = request.get("messages") or request.get("input") or []
    return [m for m in messages if m.get("role") in ("user", "assistant")]


def _text(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content)


def test_one_agent_trace_runs_away_with_a_growing_conversation(demo: psycopg.Connection) -> None:
    traces = demo.execute(
        "SELECT trace_id, count(*), sum(cost_usd), min(tenant_id), "
        "array_agg(input_tokens ORDER BY ts) FILTER (WHERE status = 'ok') "
        "FROM llm_calls GROUP BY trace_id ORDER BY count(*) DESC"
    ).fetchall()
    _, calls, cost, tenant, inputs = traces[0]
    assert calls >= 20 and tenant == STUCK_TENANT
    assert inputs == sorted(inputs) and inputs[-1] > 10 * inputs[0]  # context keeps growing
    assert cost > 100 * statistics.median(t[2] or 0 for t in traces)
