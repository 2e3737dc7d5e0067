"""Context fields, traces and parents across nesting, threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from pathlib import Path

import psycopg

import llmlog
from tests.capture.conftest import openai_client, rows
from tests.stub_provider import StubServer

MSG = [{"role": "user", "content": "hi"}]


def ask(client: object) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[attr-defined]


def test_a_call_outside_any_context_is_its_own_trace(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub), feature="default-feature", tenant_id="acme")
    ask(client)
    ask(client)
    first, second = rows(store)
    assert first["trace_id"] == str(first["id"]) and second["trace_id"] == str(second["id"])
    assert first["parent_id"] is None and second["parent_id"] is None
    assert (first["feature"], first["tenant_id"]) == ("default-feature", "acme")


def test_nesting_shares_the_trace_and_links_parents(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub), feature="wrapped", tenant_id="acme")
    with llmlog.context(
        feature="agent", user_id="u1", session_id="s1", prompt_version="v3",
        metadata={"run": 1, "step": "plan"},
    ) as outer:  # fmt: skip
        ask(client)
        plan_id = llmlog.last_call_id()
        with llmlog.context(feature="tool", metadata={"step": "act"}):
            ask(client)
            ask(client)
            with llmlog.context(tenant_id="other"):
                ask(client)
        ask(client)
    plan, act1, act2, deepest, final = rows(store)
    assert {r["trace_id"] for r in (plan, act1, act2, deepest, final)} == {outer.trace_id}
    assert plan["id"] == plan_id
    assert plan["parent_id"] is None and final["parent_id"] is None
    assert act1["parent_id"] == plan["id"] and act2["parent_id"] == plan["id"]
    assert deepest["parent_id"] == act2["id"]  # the latest call of the enclosing context
    assert (plan["feature"], act1["feature"], deepest["feature"]) == ("agent", "tool", "tool")
    assert (plan["tenant_id"], deepest["tenant_id"]) == ("acme", "other")
    assert (act1["user_id"], act1["session_id"], act1["prompt_version"]) == ("u1", "s1", "v3")
    assert plan["metadata"]["step"] == "plan" and act1["metadata"]["step"] == "act"
    assert act1["metadata"]["run"] == 1


def test_explicit_trace_id_and_decorator(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub))

    @llmlog.context(feature="summarise", trace_id="req-42")
    def handler() -> None:
        ask(client)

    handler()
    handler()
    first, second = rows(store)
    assert first["trace_id"] == second["trace_id"] == "req-42"
    assert first["feature"] == "summarise"
    assert second["parent_id"] is None  # each decorated call is a fresh context


def test_threads_do_not_mix_and_copy_context_carries(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub))
    seen: dict[str, object] = {}

    def worker(name: str) -> None:
        with llmlog.context(feature=name):
            ask(client)
            seen[name] = llmlog.last_call_id()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with llmlog.context(feature="outer", trace_id="t-copy"):
        ctx = contextvars.copy_context()
        inherited = threading.Thread(target=ctx.run, args=(ask, client))
        inherited.start()
        inherited.join()
    found = rows(store)
    by_id = {r["id"]: r for r in found}
    for name, call_id in seen.items():
        assert by_id[call_id]["feature"] == name  # type: ignore[index]
    assert len({r["trace_id"] for r in found}) == 5
    copied = [r for r in found if r["feature"] == "outer"]
    assert [r["trace_id"] for r in copied] == ["t-copy"]
    assert llmlog.last_call_id() not in seen.values()


def test_asyncio_tasks_inherit_and_keep_their_own_last_call(
    capture: Path, store: psycopg.Connection, stub: StubServer
) -> None:
    client = llmlog.wrap(openai_client(stub, asynchronous=True))

    async def one(n: int) -> object:
        async with llmlog.context(metadata={"task": n}):
            await client.chat.completions.create(model="gpt-4o-mini", messages=MSG)
            return llmlog.last_call_id()

    async def main() -> tuple[str, list[object]]:
        async with llmlog.context(feature="fanout") as frame:
            await client.chat.completions.create(model="gpt-4o-mini", messages=MSG)
            root = llmlog.last_call_id()
            ids = await asyncio.gather(*(one(n) for n in range(5)))
            assert llmlog.last_call_id() == root  # children's calls stay in their tasks
            return frame.trace_id, [root, *ids]

    trace, ids = asyncio.run(main())
    found = {r["id"]: r for r in rows(store)}
    assert set(found) == set(ids)
    root = found[ids[0]]
    for n, call_id in enumerate(ids[1:]):
        row = found[call_id]
        assert row["trace_id"] == trace and row["feature"] == "fanout"
        assert row["parent_id"] == root["id"]
        assert row["metadata"]["task"] == n


def test_last_call_id_is_none_before_any_call() -> None:
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(llmlog.last_call_id()))
    t.start()
    t.join()
    assert result == [None]
