"""The demo's traffic: flows of calls (traces) turned into ``llm_calls`` records.

Everything random comes from one ``random.Random(seed)``, so a seed gives the same calls
(ids aside: they are fresh UUIDv7s stamped with each call's time). Texts come from pools
built before the first record; a call only picks, stamps and prices.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from llmlog.demo import captured, catalogue, pools, prompts, shapes, texts, words
from llmlog.demo.catalogue import FEATURES, FLOWS, MODELS, Feature, Model
from llmlog.demo.pools import Prepared
from llmlog.demo.population import Population, Tenant, Weighted, timeline
from llmlog.demo.texts import Turn
from llmlog.ids import new_id, ts_of
from llmlog.store.records import Record

CACHE_TTL_S = 300  # provider prompt caches live about five minutes
SESSION_GAP_S = 1800
HISTORY_TURNS = 6  # earlier help-chat messages sent again with a follow-up question
FOLLOW_UP = 0.35  # chance that a help-chat answer gets a follow-up question
TIMEOUT_MS = 60_000.0
INCIDENT = (0.72, 40 * 60)  # an Anthropic overload: start (share of period), seconds
INCIDENT_OVERLOADED = 0.3  # share of Anthropic calls refused with 529 during it
# Per-call error chances (the SDK retries some of them, which is one more row).
ERRORS = (("rate_limit", 429, 0.011), ("server_error", 500, 0.004),
          ("server_error", 503, 0.002), ("timeout", None, 0.004))  # fmt: skip
ANTHROPIC_OVERLOADED = 0.004
RETRY = 0.6
REQUEST_ID = {"openai": "x-request-id", "anthropic": "request-id"}  # response header names
LENGTH, CONTENT_FILTER = 0.006, 0.0008
SLOW_TAIL, SLOW_FACTOR = 0.03, (2.5, 8.0)


@dataclass(frozen=True)
class Caller:
    """Who an interaction's calls are for."""

    tenant: Tenant
    user_id: str
    session_id: str | None


@dataclass(slots=True)
class Session:
    """A user's current session and, for the help chat, the conversation so far."""

    id: str
    last: float
    history: tuple[Turn, ...] = ()


@dataclass(slots=True)
class Planned:
    """One call of a flow, before it is made."""

    feature: Feature
    model: Model
    version: str
    prepared: Prepared
    step: int
    extra: dict[str, Any] = field(default_factory=dict)
    history: tuple[Turn, ...] = ()  # earlier turns of the conversation, sent again


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A lognormal draw with this median (``random.gauss`` is cheaper than lognormvariate)."""
    return median * math.exp(rng.gauss(0.0, sigma))


class Traffic:
    """``calls`` records spread over ``[end - days, end]``; iterate it once."""

    def __init__(self, *, calls: int, days: float, seed: int, end: datetime) -> None:
        self.calls = calls
        self.rng = random.Random(seed)
        self.end = end.timestamp()
        self.start = self.end - days * 86400
        self.period = self.end - self.start
        self.population = Population(self.rng)
        self.pools = pools.build(seed)
        self._flows = Weighted.of(FLOWS)
        self._models = {name: Weighted.of(f.models) for name, f in FEATURES.items()}
        self._models_before = {
            name: Weighted.of(f.models_before) for name, f in FEATURES.items() if f.models_before
        }
        self._spike_from = self.end - catalogue.SPIKE_HOURS * 3600
        self._stuck_at: float | None = self.start + catalogue.STUCK_AT * self.period
        self._cache_until: dict[tuple[str, str], float] = {}
        self._sessions: dict[str, Session] = {}
        self._requests: dict[tuple[int, int, str, bool], dict[str, Any]] = {}
        self._incident = (self.start + INCIDENT[0] * self.period, INCIDENT[1])

    def __iter__(self) -> Iterator[Record]:
        times = timeline(self.rng, self.calls, self.start, self.end)
        made = 0
        while made < self.calls:
            left = self.calls - made
            for record in self._flow(times[made], left)[:left]:
                made += 1
                yield record

    # --- flows -------------------------------------------------------------------------

    def _flow(self, t: float, left: int) -> list[Record]:
        """What a user did next: its calls in order, one trace per request of the user
        (``left``: how many calls the traffic still makes)."""
        rng = self.rng
        if self._stuck_at is not None and t >= self._stuck_at:
            self._stuck_at = None
            # Not when it would use up what is left: the traffic would stop hours early.
            if left >= catalogue.STUCK_STEPS * 2:
                return self._stuck_agent(t)
        if t >= self._spike_from and rng.random() < catalogue.SPIKE_SHARE:
            return self._backfill(t)
        name = self._flows.pick(rng)
        tenant, user = self.population.pick(rng)
        session = self._session(user, t) if name in catalogue.SESSION_FEATURES else None
        caller = Caller(tenant, user, session.id if session else None)
        if name == "help_chat" and session is not None:
            return self._help_chat(t, caller, session)
        first = self._plan(name, t)
        plan = [first] + [
            Planned(first.feature, first.model, first.version, first.prepared, step)
            for step in range(1, len(first.prepared.case.steps))
        ]
        return self._run(plan, t, caller, chain=False)

    def _help_chat(self, t: float, caller: Caller, session: Session) -> list[Record]:
        """Questions in the in-app help chat, often a follow-up or two, one trace each:
        [intent_classifier ->] query_rewrite -> rag_answer, each the parent of the next.
        The answer call sends the session's earlier questions and answers again."""
        rng = self.rng
        records: list[Record] = []
        while True:
            question = rng.randrange(pools.SIZE)  # the rewrite and the answer share it
            rewrite = self._plan("query_rewrite", t, question)
            answer = self._plan("rag_answer", t, question)
            answer.extra = {"retrieved_chunks": 4, "index": "kb-2026-11"}
            answer.history = session.history
            plan = [rewrite, answer]
            if rng.random() < 0.4:
                plan.insert(0, self._plan("intent_classifier", t))
            turn = self._run(plan, t, caller, chain=True)
            records += turn
            last = turn[-1]
            if last["feature"] != "rag_answer" or last["status"] != "ok":
                return records
            asked = rewrite.prepared.case.steps[0].turns[0]
            said = answer.prepared.case.steps[0].reply
            session.history = (*session.history, asked, said)[-HISTORY_TURNS:]
            t = last["ts"].timestamp() + last["latency_ms"] / 1000 + rng.uniform(15, 120)
            if rng.random() >= FOLLOW_UP or t > self.end:
                return records
            session.last = t

    def _backfill(self, t: float) -> list[Record]:
        planned = self._plan(catalogue.SPIKE_FEATURE, t)
        planned.model = MODELS[catalogue.SPIKE_MODEL]
        planned.extra = {"job": "invoice-backfill"}
        tenant = self.population.by_id[catalogue.SPIKE_TENANT]
        return self._run([planned], t, Caller(tenant, "svc_backfill", None), chain=False)

    def _stuck_agent(self, t: float) -> list[Record]:
        feature = FEATURES["order_agent"]
        version = feature.versions[-1]
        system = prompts.SYSTEM[feature.name][version]
        case = texts.stuck_order_agent(self.rng, system, catalogue.STUCK_STEPS)
        prepared = pools.prepare(case, prompts.TOOLS[feature.name])
        model = MODELS[catalogue.STUCK_MODEL]
        plan = [Planned(feature, model, version, prepared, n) for n in range(len(case.steps))]
        tenant = self.population.by_id[catalogue.STUCK_TENANT]
        user = tenant.users.pick(self.rng)
        caller = Caller(tenant, user, self._session(user, t).id)
        return self._run(plan, t, caller, chain=False)

    def _run(self, plan: list[Planned], t: float, caller: Caller, *, chain: bool) -> list[Record]:
        """Make the planned calls; each is a child of the previous one (``chain``) or of
        the first. A failed call is retried once by the SDK, or ends the interaction."""
        rng = self.rng
        records: list[Record] = []
        root = parent = None
        for planned in plan:
            if t > self.end:
                break  # the rest of the interaction has not happened yet
            trace = records[0]["trace_id"] if records else None
            record = self._attempt(planned, t, caller, trace_id=trace, parent=parent)
            if record["status"] == "error" and rng.random() < RETRY:  # the SDK retries
                retry_at = t + record["latency_ms"] / 1000 + rng.uniform(0.3, 2.0)
                if retry_at <= self.end:
                    records.append(record)
                    t = retry_at
                    trace = record["trace_id"]
                    record = self._attempt(
                        planned, t, caller, trace_id=trace, parent=parent, attempt=2
                    )
            records.append(record)
            if record["status"] == "error":
                break  # the application gives up on this interaction
            root = root or record
            parent = record if chain else root
            t += record["latency_ms"] / 1000 + rng.uniform(0.03, 0.8)
        return records

    def _plan(self, name: str, t: float, case: int | None = None) -> Planned:
        feature = FEATURES[name]
        rng = self.rng
        early = t < self.start + feature.migrate_at * self.period
        models = self._models_before.get(name) if early else None
        model = MODELS[(models or self._models[name]).pick(rng)]
        switched = len(feature.versions) > 1 and t >= self.start + feature.switch_at * self.period
        version = feature.versions[-1] if switched else feature.versions[0]
        prepared = self.pools[name, version][rng.randrange(pools.SIZE) if case is None else case]
        return Planned(feature, model, version, prepared, 0)

    def _session(self, user: str, t: float) -> Session:
        session = self._sessions.get(user)
        if session is None or t - session.last >= SESSION_GAP_S:
            session = Session(f"sess_{self.rng.getrandbits(64):016x}", t)
            self._sessions[user] = session
        session.last = t
        return session

    # --- one call ------------------------------------------------------------------------

    def _attempt(
        self,
        p: Planned,
        t: float,
        caller: Caller,
        *,
        trace_id: str | None,
        parent: Record | None,
        attempt: int = 1,
    ) -> Record:
        """One call; ``trace_id`` None starts a trace, ``attempt`` 2 is a retry (never fails)."""
        rng = self.rng
        feature, model = p.feature, p.model
        stream = rng.random() < feature.stream
        call_id = new_id(datetime.fromtimestamp(t, UTC))
        # The application's context, then what capture adds: the SDK attempt, kept headers.
        metadata: dict[str, Any] = {
            "app": feature.app,
            "env": "prod",
            "region": caller.tenant.region,
        }
        metadata.update(p.extra)
        if len(p.prepared.case.steps) > 1:
            metadata["step"] = p.step + 1
        metadata["attempt"] = attempt
        metadata["headers"] = {REQUEST_ID[model.provider]: f"req_{rng.getrandbits(96):024x}"}
        record: Record = {
            "id": call_id,
            "ts": ts_of(call_id),
            "trace_id": trace_id or str(call_id),
            "parent_id": parent["id"] if parent else None,
            "session_id": caller.session_id,
            "tenant_id": caller.tenant.id,
            "user_id": caller.user_id,
            "feature": feature.name,
            "prompt_version": p.version,
            "provider": model.provider,
            "endpoint": model.endpoint,
            "model": model.name,
            "request": self._request(p, stream),
            "system_prompt": p.prepared.case.system,
            "streamed": stream,
            "metadata": metadata,
        }
        error = None if attempt > 1 else self._error(model, t)
        if error:
            self._fail(record, model, error)
        else:
            self._succeed(record, p, t, stream)
        return record

    def _request(self, p: Planned, stream: bool) -> dict[str, Any]:
        """The request body; the same case, model and stream flag share one body object."""
        key = (id(p.prepared), p.step, p.model.name, stream)
        body = None if p.history else self._requests.get(key)
        if body is None:
            feature, model = p.feature, p.model
            params = shapes.Params(
                model=model.name,
                max_tokens=feature.max_tokens,
                stream=stream,
                temperature=None if model.reasoning else feature.temperature,
                json_mode=feature.json_mode,
                reasoning_effort="low" if model.reasoning else None,
                cache_system=feature.cached,
            )
            turns = p.history + p.prepared.case.steps[p.step].turns
            tools = prompts.TOOLS.get(feature.name, ())
            system = p.prepared.case.system
            body = shapes.request(model.endpoint, params, system=system, turns=turns, tools=tools)
            if not p.history:
                self._requests[key] = body
        return body

    def _error(self, model: Model, t: float) -> tuple[str, int | None] | None:
        roll = self.rng.random()
        if model.provider == "anthropic":
            start, length = self._incident
            during = start <= t < start + length
            overloaded = INCIDENT_OVERLOADED if during else ANTHROPIC_OVERLOADED
            if roll < overloaded:
                return "overloaded", 529
            roll -= overloaded
        for kind, status, chance in ERRORS:
            if roll < chance:
                return kind, status
            roll -= chance
        return None

    def _fail(self, record: Record, model: Model, error: tuple[str, int | None]) -> None:
        """Make ``record`` the failed call capture stores for this error's body."""
        rng = self.rng
        kind, status = error
        if status is None:  # no answer: the HTTP client gave up waiting
            captured.fail(record, status=None, body=None, exception=captured.TIMEOUT)
            latency = TIMEOUT_MS
        else:
            ident = f"{rng.getrandbits(128):032x}"
            body = shapes.error_body(model.provider, kind, status, model=model.name, ident=ident)
            captured.fail(record, status=status, body=body)
            latency = _lognormal(rng, 180 if status == 429 else 900, 0.6)
        record["latency_ms"] = round(latency, 1)

    def _succeed(self, record: Record, p: Planned, t: float, stream: bool) -> None:
        """Make ``record`` the successful call capture stores for the answer's body."""
        model = p.model
        answer, out_tokens = self._answer(p)
        reasoning = 64 * int(_lognormal(self.rng, 5, 0.8)) if model.reasoning else 0
        inputs = p.prepared.input_tokens[p.step] + sum(pools.tokens(h.text) + 4 for h in p.history)
        usage = self._usage(
            p, t, inputs=inputs, outputs=out_tokens + reasoning, reasoning=reasoning
        )
        ttft, latency = self._timing(model, usage)
        ident = f"{self.rng.getrandbits(96):024x}"
        body = shapes.response(
            model.endpoint, model.response_model, answer, usage, ident=ident, created=int(t)
        )
        captured.answer(record, body)
        feedback, note = self._feedback(p, answer.finish, latency)
        record.update(
            ttft_ms=round(ttft, 1) if stream else None,
            latency_ms=round(latency, 1),
            feedback=feedback,
            feedback_note=note,
        )

    def _answer(self, p: Planned) -> tuple[shapes.Reply, int]:
        """What came back and its output tokens: mostly the case's reply, sometimes a
        refusal, a reply cut off at max tokens or (OpenAI) by the content filter."""
        rng = self.rng
        reply = p.prepared.case.steps[p.step].reply
        roll = rng.random()
        if roll < p.feature.refusals:
            text = rng.choice(words.REFUSALS)
            return shapes.Reply(text, (), "refusal"), pools.tokens(text) + 1
        if reply.text and roll < p.feature.refusals + LENGTH:
            text = reply.text[: len(reply.text) * 3 // 5]
            return shapes.Reply(text, (), "length"), pools.tokens(text)
        if reply.text and p.model.provider == "openai" and roll > 1 - CONTENT_FILTER:
            text = reply.text[: len(reply.text) // 4]
            return shapes.Reply(text, (), "content_filter"), pools.tokens(text)
        finish = "tool_calls" if reply.tool_calls else "stop"
        return shapes.Reply(reply.text, reply.tool_calls, finish), p.prepared.output_tokens[p.step]

    def _timing(self, model: Model, usage: shapes.Usage) -> tuple[float, float]:
        """(time to first token, latency) in ms: lognormal around the model's speed, with a
        slow tail (provider queueing) that delays both."""
        rng = self.rng
        ttft = _lognormal(rng, model.ttft_ms, 0.35) * (1 + usage.input / 20000)
        latency = ttft + usage.output / _lognormal(rng, model.tokens_per_s, 0.2) * 1000
        if rng.random() < SLOW_TAIL:
            slow = rng.uniform(*SLOW_FACTOR)
            ttft, latency = ttft * slow, latency * slow
        return ttft, latency

    def _usage(
        self, p: Planned, t: float, *, inputs: int, outputs: int, reasoning: int
    ) -> shapes.Usage:
        """Token counts with prompt caching: a prefix seen in the last minutes is read back."""
        if not p.feature.cached:
            return shapes.Usage(inputs, outputs, reasoning=reasoning)
        key = (p.model.name, p.prepared.case.system)
        warm = self._cache_until.get(key, 0.0) > t
        self._cache_until[key] = t + CACHE_TTL_S
        prefix = p.prepared.prefix_tokens
        if p.model.provider == "anthropic":
            if warm:
                return shapes.Usage(inputs, outputs, cache_read=prefix)
            return shapes.Usage(inputs, outputs, cache_write=prefix)
        cached = prefix // 128 * 128 if warm else 0  # OpenAI caches in 128-token blocks
        return shapes.Usage(inputs, outputs, cache_read=cached, reasoning=reasoning)

    def _feedback(self, p: Planned, finish: str, latency: float) -> tuple[int | None, str | None]:
        rng = self.rng
        feature = p.feature
        if rng.random() >= feature.feedback:
            return None, None
        down = 0.15
        if feature.name == "ticket_summary" and p.version != feature.versions[0]:
            down += 0.3  # the longer summaries are not what people wanted
        if finish in ("refusal", "length"):
            down += 0.5
        if latency > 10_000:
            down += 0.2
        if rng.random() < down:
            notes = words.FEEDBACK_DOWN.get(feature.name, ("not helpful",))
            long_summary = down > 0.4 and feature.name == "ticket_summary"
            note = notes[0] if long_summary and rng.random() < 0.6 else rng.choice(notes)
            return -1, note if rng.random() < 0.5 else None
        return 1, rng.choice(words.FEEDBACK_UP) if rng.random() < 0.1 else None
