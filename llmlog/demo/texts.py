"""Conversations the demo's features have: tickets, summaries, SQL help, agent steps …

Each feature has a maker that turns a seeded ``random.Random`` into a :class:`Case`: the
steps (model calls) of one use of the feature, each with the conversation sent and the
reply received. Makers run once per pool slot before loading, never per call.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from llmlog.demo import words as w


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it
    input: dict[str, object]  # the same, parsed (Anthropic sends it as an object)


@dataclass(frozen=True)
class Turn:
    """One message of a conversation: user text, an assistant reply, or a tool result."""

    role: str  # user | assistant | tool
    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    call_id: str | None = None  # for role == "tool"


@dataclass(frozen=True)
class Step:
    """One model call: the conversation so far and the reply."""

    turns: tuple[Turn, ...]
    reply: Turn


@dataclass(frozen=True)
class Case:
    system: str
    steps: tuple[Step, ...]


Maker = Callable[[random.Random, str, str], Case]  # (rng, system prompt, prompt version)


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(n * 4):0{n}x}"


def _tool_call(rng: random.Random, name: str, args: dict[str, object]) -> ToolCall:
    return ToolCall(f"call_{_hex(rng, 24)}", name, json.dumps(args, separators=(",", ":")), args)


def _single(system: str, user: str, reply: Turn) -> Case:
    return Case(system, (Step((Turn("user", user),), reply),))


@dataclass(frozen=True)
class Ticket:
    name: str
    email: str
    area: str
    problem: str
    priority: str
    impact: str
    plan: str
    order_id: str
    subject: str
    body: str


def ticket(rng: random.Random) -> Ticket:
    first, last = rng.choice(w.FIRST_NAMES), rng.choice(w.LAST_NAMES)
    area = rng.choice(list(w.PRODUCT_AREAS))
    plan = rng.choice(w.PLANS)
    problem = rng.choice(w.PRODUCT_AREAS[area]).format(month=rng.choice(w.MONTHS), plan=plan)
    order_id = f"A-{rng.randrange(10000, 99999)}"
    impact, priority = rng.choice(w.IMPACT)
    body = (
        f"Hello support team,\n\nsince {rng.choice(w.WHEN)} {problem}. "
        f"{impact} We already tried {rng.choice(w.TRIED)}, but nothing "
        f"changed. We are on the {plan} plan with {rng.randrange(5, 400)} seats; the last "
        f"order number was {order_id}. Could you look into it and tell us what to do next?\n\n"
        f"{rng.choice(w.CLOSINGS)}\n{first} {last}"
    )
    subject = problem[0].upper() + problem[1:]
    if len(subject) > 60:
        subject = subject[:60].rsplit(" ", 1)[0] + " …"
    email = f"{first.lower()}.{last.lower()}@example.org"
    return Ticket(
        f"{first} {last}", email, area, problem, priority, impact, plan, order_id, subject, body
    )


def _ticket_text(t: Ticket) -> str:
    return f"Subject: {t.subject}\nFrom: {t.name} <{t.email}>\nPlan: {t.plan}\n\n{t.body}"


def support_triage(rng: random.Random, system: str, version: str) -> Case:
    t = ticket(rng)
    verdict = {
        "category": t.area,
        "priority": t.priority,
        "sentiment": rng.choice(w.SENTIMENTS),
        "route_to": w.TEAMS[t.area],
        "needs_human": t.priority == "P1",
        "reason": f"Customer reports that {t.problem}; {t.plan} plan.",
    }
    return _single(system, _ticket_text(t), Turn("assistant", json.dumps(verdict)))


def ticket_summary(rng: random.Random, system: str, version: str) -> Case:
    t = ticket(rng)
    agent = rng.choice(w.AGENTS)
    kb_title, kb_text = w.KB_ARTICLES[rng.choice(w.AREA_ARTICLES[t.area])]
    thread = (
        f"[customer] {_ticket_text(t)}\n\n"
        f"[agent {agent}] Hi {t.name.split()[0]}, thanks for the details. I have passed this "
        f"to our {w.TEAMS[t.area]} team. In the meantime, could you send us a screenshot and "
        f"the exact time it last happened? Our article '{kb_title}' may also help: {kb_text}\n\n"
        f"[customer] Screenshot attached. It happened again today at "
        f"{rng.randrange(8, 18)}:{rng.randrange(10, 59)}. Honestly this is the third time "
        f"we report something like this. {t.impact}\n\n"
        f"[agent {agent}] Thank you, I have escalated it with the screenshot. I will update "
        f"you as soon as I hear back."
    )
    if version == "v3":
        summary = (
            f"{t.name} ({t.plan}) reports that {t.problem}; the issue keeps recurring and "
            f"affects their team. {agent} asked for a screenshot, received it and escalated to "
            f"{w.TEAMS[t.area]}. Still open: root cause and an update to the customer."
        )
    else:
        summary = (
            f"**Issue**\n- {t.problem[0].upper()}{t.problem[1:]}.\n- Recurring: the customer "
            f"says this is the third similar report.\n\n**Customer impact**\n- {t.name}, "
            f'{t.plan} plan. "{t.impact}"\n\n**Steps already taken**\n- Customer '
            f"tried {rng.choice(w.TRIED)}.\n- {agent} requested a screenshot and the time of "
            f"the last occurrence; both were provided.\n- Escalated to {w.TEAMS[t.area]} with "
            f"the screenshot.\n\n**Open questions**\n- Root cause not yet identified.\n- "
            f"Whether order {t.order_id} is affected.\n\n**Timeline**\n- Started: "
            f"{rng.choice(w.WHEN)}.\n- Latest occurrence: today.\n\n**Recommended next "
            f"action**\n- Chase {w.TEAMS[t.area]} for an ETA and send the customer an update "
            f"within 24 hours; consider a goodwill credit if the {t.plan} SLA was breached."
        )
    return _single(system, thread, Turn("assistant", summary))


def _excerpts(rng: random.Random, first: int, k: int) -> tuple[str, list[int]]:
    picks = [first, *rng.sample([i for i in range(len(w.KB_ARTICLES)) if i != first], k - 1)]
    rng.shuffle(picks)
    lines = [f"[{n + 1}] {w.KB_ARTICLES[i][0]}: {w.KB_ARTICLES[i][1]}" for n, i in enumerate(picks)]
    return "\n".join(lines), picks


def reply_draft(rng: random.Random, system: str, version: str) -> Case:
    t = ticket(rng)
    agent = rng.choice(w.AGENTS)
    article = rng.choice(w.AREA_ARTICLES[t.area])
    kb, _ = _excerpts(rng, article, 2)
    user = f"Ticket:\n{_ticket_text(t)}\n\nKnowledge base:\n{kb}\n\nDraft a reply from {agent}."
    title, text = w.KB_ARTICLES[article]
    draft = (
        f"Hi {t.name.split()[0]},\n\nI'm sorry that {t.problem} — I can see how disruptive "
        f"that is for your team. Here is what we can do right away:\n\n1. I have opened an "
        f"internal ticket with our {w.TEAMS[t.area]} team and linked order {t.order_id}.\n2. "
        f"{text.split('. ')[0]}.\n3. If it happens again, please reply with the time and a "
        f"screenshot so we can match it to our logs.\n\nYou can read more in our article "
        f'"{title}". I\'ll follow up as soon as I hear back from the team.\n\nBest,\n{agent}'
    )
    return _single(system, user, Turn("assistant", draft))


def intent_classifier(rng: random.Random, system: str, version: str) -> Case:
    text, intent = rng.choice(w.INTENTS)
    if rng.random() < 0.5:
        text = f"{text} {rng.choice(('pls', 'asap', 'thanks', '?', 'for our team'))}"
    reply = json.dumps({"intent": intent, "confidence": round(rng.uniform(0.62, 0.99), 2)})
    return _single(system, text, Turn("assistant", reply))


def query_rewrite(rng: random.Random, system: str, version: str) -> Case:
    question, article = rng.choice(w.QUESTIONS)
    keywords = " ".join(
        word.strip("?,.").lower() for word in question.split() if len(word.strip("?,.")) > 3
    )
    query = f"{keywords} {w.KB_ARTICLES[article][0].lower()}"
    return _single(system, question, Turn("assistant", query))


def rag_answer(rng: random.Random, system: str, version: str) -> Case:
    question, article = rng.choice(w.QUESTIONS)
    kb, picks = _excerpts(rng, article, 4)
    cite = picks.index(article) + 1
    user = f"Question: {question}\n\nKnowledge base excerpts:\n{kb}"
    sentences = w.KB_ARTICLES[article][1].split(". ")
    answer = (
        f"{sentences[0]} [{cite}]. "
        + (f"{sentences[1].rstrip('.')} [{cite}]. " if len(sentences) > 1 else "")
        + rng.choice(
            (
                "Let me know if you want me to connect you with our support team.",
                "If that does not match what you see, I can open a ticket for you.",
                "Is there anything else I can help with?",
            )
        )
    )
    return _single(system, user, Turn("assistant", answer))


def sql_helper(rng: random.Random, system: str, version: str) -> Case:
    question, query = rng.choice(w.SQL_QUESTIONS)
    tables = rng.sample(sorted(w.SQL_TABLES), 3)
    system = system.replace("{schema}", "\n".join(w.SQL_TABLES[t] for t in tables))
    if rng.random() < 0.7:
        answer = (
            f"This groups the relevant rows and bounds the time range explicitly:\n\n"
            f"```sql\n{query}\n```"
        )
        return _single(system, question, Turn("assistant", answer))
    ask = Turn("user", f"{question} Just run it and give me the numbers.")
    call = _tool_call(rng, "run_query", {"sql": query, "limit": 100})
    first = Turn("assistant", None, (call,))
    rows = [{"group": rng.choice(("EU", "US", "APAC", "Team", "Business")),
             "value": rng.randrange(100, 90000)} for _ in range(rng.randrange(3, 7))]  # fmt: skip
    result = Turn("tool", json.dumps(rows), call_id=call.id)
    best = max(rows, key=lambda r: int(r["value"]))  # type: ignore[arg-type]
    final = Turn(
        "assistant",
        f"I ran the query. {len(rows)} rows came back; the largest is {best['group']} with "
        f"{best['value']:,}. Here is the full result:\n\n"
        + "\n".join(f"- {r['group']}: {r['value']:,}" for r in rows),
    )
    return Case(system, (Step((ask,), first), Step((ask, first, result), final)))


class _Dialogue:
    """An agent conversation built step by step: each step is one model call."""

    def __init__(self, system: str, first: Turn) -> None:
        self.system = system
        self.turns: list[Turn] = [first]
        self.steps: list[Step] = []

    def step(self, reply: Turn, result: object | None = None) -> None:
        """The model replies to the conversation so far; a tool call gets ``result``."""
        self.steps.append(Step(tuple(self.turns), reply))
        self.turns.append(reply)
        if result is not None:
            self.turns.append(Turn("tool", json.dumps(result), call_id=reply.tool_calls[0].id))

    def case(self) -> Case:
        return Case(self.system, tuple(self.steps))


def order_agent(rng: random.Random, system: str, version: str) -> Case:
    t = ticket(rng)
    amount = rng.choice((1899, 4999, 12900, 18900, 32900))
    talk = _Dialogue(system, Turn(
        "user",
        f"Hi, I'm {t.name} ({t.email}). Order {t.order_id} arrived damaged, the docking "
        f"station does not power on. Can I get my money back?",
    ))  # fmt: skip
    look = _tool_call(rng, "lookup_order", {"order_id": t.order_id})
    days = rng.randrange(2, 45)
    order = {"order_id": t.order_id, "status": "delivered", "total_cents": amount,
             "currency": "EUR", "delivered_days_ago": days,
             "items": ["USB-C docking station"]}  # fmt: skip
    talk.step(Turn("assistant", "Let me look that order up.", (look,)), order)
    if rng.random() < 0.4:
        cust = _tool_call(rng, "get_customer", {"email": t.email})
        talk.step(
            Turn("assistant", None, (cust,)), {"email": t.email, "plan": t.plan, "vip": False}
        )
    if days > 30 or amount > 20000:
        esc = _tool_call(rng, "escalate_to_human", {"summary": f"Refund request {t.order_id}"})
        talk.step(Turn("assistant", None, (esc,)), {"ticket": f"T-{rng.randrange(100000, 999999)}"})
        final = (
            f"Thanks, {t.name.split()[0]}. Because the order was delivered {days} days ago, I "
            f"have passed your refund request to a colleague, who will reply by e-mail within "
            f"one business day."
        )
    else:
        refund = _tool_call(
            rng, "issue_refund",
            {"order_id": t.order_id, "amount_cents": amount, "reason": "damaged on arrival"},
        )  # fmt: skip
        talk.step(
            Turn("assistant", None, (refund,)), {"refund_id": f"re_{_hex(rng, 12)}", "ok": True}
        )
        final = (
            f"Done: I refunded {amount / 100:.2f} EUR for order {t.order_id} to your original "
            f"payment method; it shows up within 5-10 business days. Sorry about the damaged "
            f"docking station!"
        )
    talk.step(Turn("assistant", final))
    return talk.case()


def stuck_order_agent(rng: random.Random, system: str, steps: int) -> Case:
    """The order agent in a loop: it keeps re-checking an order that stays 'processing',
    each time sending the whole growing conversation, until it finally escalates."""
    t = ticket(rng)
    talk = _Dialogue(system, Turn(
        "user", f"Where is my order {t.order_id}? It was supposed to ship last week. "
        f"I need it before Friday. {t.name}, {t.email}",
    ))  # fmt: skip
    history = [
        {"at": f"2026-11-{day:02d}T{rng.randrange(8, 20):02d}:{rng.randrange(60):02d}:00Z",
         "event": rng.choice(("label created", "awaiting stock", "picking", "carrier delay",
                              "address check", "awaiting stock"))}
        for day in range(2, 18)
    ]  # fmt: skip
    order = {"order_id": t.order_id, "status": "processing", "carrier": "DHL",
             "warehouse": "FRA-2", "items": ["USB-C docking station", "Laptop stand"],
             "history": history}  # fmt: skip
    for n in range(steps - 2):
        look = _tool_call(rng, "lookup_order", {"order_id": t.order_id})
        text = (
            "Let me look that order up."
            if n == 0
            else "The status has not changed yet; let me check again."
        )
        talk.step(Turn("assistant", text, (look,)), order)
    esc = _tool_call(rng, "escalate_to_human", {"summary": f"{t.order_id} stuck in processing"})
    talk.step(Turn("assistant", None, (esc,)), {"ticket": f"T-{rng.randrange(100000, 999999)}"})
    talk.step(Turn("assistant", f"Sorry, {t.name.split()[0]}: order {t.order_id} is still "
                   "being processed. I have asked a colleague to look into it today."))  # fmt: skip
    return talk.case()


def invoice_extract(rng: random.Random, system: str, version: str) -> Case:
    vendor = rng.choice(w.VENDORS)
    number = f"INV-{rng.randrange(2025, 2027)}-{rng.randrange(1000, 99999)}"
    issued = f"2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d}"
    items = rng.sample(w.LINE_ITEMS, rng.randrange(2, 5))
    total = sum(cents for _, cents in items)
    vat = f"DE{rng.randrange(100000000, 999999999)}" if rng.random() < 0.7 else None
    lines = "\n".join(f"{d:<40} {c / 100:>10,.2f}" for d, c in items)
    ocr = (
        f"{vendor.upper()}\nInvoice no. {number}    Date: {issued}\n"
        + (f"VAT ID: {vat}\n" if vat else "")
        + f"Bill to: {rng.choice(w.TENANTS).replace('-', ' ').title()} Ltd, accounts payable\n\n"
        f"Description{' ' * 30}Amount EUR\n{lines}\n{'-' * 52}\nTotal{' ' * 36}"
        f"{total / 100:>10,.2f}\n\nPayment terms: 30 days net. Bank: IBAN DE89 3704 0044 0532 "
        f"0130 00. Thank you for your business."
    )
    args = {"vendor": vendor, "invoice_number": number, "issue_date": issued,
            "currency": "EUR", "total_cents": total, "vat_id": vat,
            "line_items": [{"description": d, "amount_cents": c} for d, c in items]}  # fmt: skip
    return _single(system, ocr, Turn("assistant", None, (_tool_call(rng, "record_invoice", args),)))


def meeting_notes(rng: random.Random, system: str, version: str) -> Case:
    topic = rng.choice(w.MEETING_TOPICS)
    people = rng.sample(w.FIRST_NAMES, 4)
    things = rng.sample(w.MEETING_THINGS, 3)
    lines = [
        f"{people[n % 4]} ({n * 41 // 60:02d}:{n * 41 % 60:02d}): "
        + _sentence(rng.choice(w.MEETING_LINES).format(thing=things[0 if n < 3 else n % 3]))
        for n in range(rng.randrange(12, 20))
    ]
    transcript = f"Meeting: {topic}\nAttendees: {', '.join(people)}\n\n" + "\n".join(lines)
    notes = (
        f"**Summary**: The group discussed {topic}. The main concern was {things[0]}, and "
        f"the team agreed to timebox {things[1]}.\n\n**Decisions**\n- Ship {things[0]} before "
        f"the holiday freeze.\n- Revisit {things[2]} in two weeks.\n\n**Action items**\n"
        f"- [ ] {people[0]}: follow up with legal on {things[0]} (Friday)\n"
        f"- [ ] {people[2]}: get design time for {things[1]}\n"
        f"- [ ] {people[3]}: share the conversion numbers with the team"
    )
    return _single(system, transcript, Turn("assistant", notes))


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text.endswith(("?", "!")) else text + "."


MAKERS: dict[str, Maker] = {
    "support_triage": support_triage,
    "ticket_summary": ticket_summary,
    "reply_draft": reply_draft,
    "intent_classifier": intent_classifier,
    "query_rewrite": query_rewrite,
    "rag_answer": rag_answer,
    "sql_helper": sql_helper,
    "order_agent": order_agent,
    "invoice_extract": invoice_extract,
    "meeting_notes": meeting_notes,
}
