"""The reliability harness (`make reliability`, tests/reliability): sessions of rebalance intents
through a running embedded stack, their market-on-open orders filled at the next session's open,
while the emulator injects faults and processes are killed; then checks written against the API and
the tables only (never the order service's functions, whose shape may change):

* every intent has exactly one order (keyed ``signal:<intent_id>:<symbol>``) and it FILLED at the
  next open; every manual ticket exactly one order (its ``client_order_id``); every intent targeting
  a symbol without data exactly one REJECTED order moving no money; every unreadable message exactly
  one copy in the DLQ; no order has more than one fill, none is left PENDING;
* the ledger replayed from the fills equals the account to the cent: cash = initial - buys
  (notional + commission) + sells (notional - commission); per symbol, quantity = bought - sold and
  cost basis - realized P&L = buy costs - sell proceeds (true whatever the order of the fills, since
  a sell moves basis to realized P&L); a flat position carries no basis; nothing reserved once
  nothing is pending; `GET /portfolio` shows the same cash and quantities; the order service's own
  reconciliation of each session found nothing;
* schemathesis over the served OpenAPI document (tradeloop_local.fuzzing): no 5xx, nothing outside
  the document.

The workload: each session, one intent per symbol (the sample's four and copies of their bars under
other names), alternately to a weight and to flat, so each must become exactly one order (a buy from
flat, then a sell of everything); the session's open is then filled (the pipeline's fill step: the
ingest's "Session Bars Ingested" event, delivered to the order function as EventBridge would,
retried when it fails). Faults:
the emulator's fault injection (tradeloop_local.faults) on DynamoDB, S3 and SQS requests signed by
the functions' roles. Duplicates: a share of the intents is sent twice (another deduplication id, as
a producer's retry would) and a share of the tickets posted twice. Poison: an intent targeting a
symbol without data, a body that is no intent. Kills: SIGKILL of the Lambda workers, of the runtime
and of the emulator in the middle of sessions, each restarted by `stackctl.up` (what `make up`
does)."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tradeloop_local import stackctl
from tradeloop_local.config import LocalConfig
from tradeloop_local.embedded import admin_client, emulator_state, queue_depth, read_stack

Log = Callable[[str], object]
SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
# More symbols a session means fewer sessions (each one a fill and a reconciliation) for as many
# intents: the sample's bars again under these names, in the harness's own stack only.
COPIES = {"RLA": "AAPL", "RLB": "GOOG", "RLC": "IBM", "RLD": "MSFT"}
LONG_WEIGHT = "0.1"  # 8 symbols x 0.1: buying power and the default limits never refuse a buy
NO_DATA = "ZZZZ"  # a symbol without bars: its intent becomes a REJECTED order
FIRST_SESSION = date(2010, 1, 4)
INITIAL_CASH = Decimal("1000000")
CENT = Decimal("0.01")
KILL_KINDS = ("workers", "runtime", "emulator")


@dataclass(frozen=True)
class Plan:
    intents: int = 1000
    tickets: int = 100  # manual orders through POST /orders
    duplicate_rate: float = 0.1
    poison_rate: float = 0.02
    throttle: float = 0.02
    error: float = 0.01
    timeout: float = 0.01
    timeout_seconds: float = 0.3  # how long a lost answer keeps its client waiting
    kills: tuple[str, ...] = ("workers", "runtime", "emulator", "workers", "runtime", "emulator")
    fuzz_examples: int = 25  # per operation and generation mode (positive, negative)
    seed: int = 20240612
    visibility_timeout: int = 2  # the queue's, for the run: a failed record is back in 2 s
    session_seconds: float = 180.0  # how long a session's intents may take to be consumed


@dataclass
class Figures:
    requests_fuzzed: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    intents: int = 0
    tickets: int = 0
    sessions: int = 0
    poison: int = 0
    duplicates_sent: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    kills: list[str] = field(default_factory=list)
    fill_retries: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    fuzz_failures: list[str] = field(default_factory=list)
    orders: int = 0
    fills: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.server_errors or self.schema_violations or self.lost or self.duplicated or self.differences)

    def table(self) -> str:
        by_kind = Counter[str]()
        for key, n in self.faults.items():
            by_kind[key.split(":")[1]] += n
        kinds = Counter(k.split(" ")[0] for k in self.kills)
        rows = [
            ("requests fuzzed", self.requests_fuzzed, "schemathesis, every operation, positive and negative cases"),
            ("server errors", self.server_errors, "5xx answers to fuzzed requests"),
            ("schema violations", self.schema_violations, "answers outside the OpenAPI document"),
            (
                "intents",
                self.intents + self.tickets,
                f"{self.intents} rebalance intents over {self.sessions} sessions + {self.tickets} POST /orders "
                f"tickets; {self.duplicates_sent} sent twice, {self.poison} poison",
            ),
            (
                "faults injected",
                sum(self.faults.values()),
                ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items())) + " (DynamoDB, S3, SQS)",
            ),
            (
                "kills",
                len(self.kills),
                ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())) + " (SIGKILL, restarted by make up)",
            ),
            ("lost", len(self.lost), "an intent or ticket without its order, a poison message not in the DLQ"),
            ("duplicated", len(self.duplicated), "a second order for a key, a second fill, a second DLQ copy"),
            (
                "reconciliation differences",
                len(self.differences),
                f"ledger from {self.fills} fills vs cash, positions, buying power, /portfolio, to the cent",
            ),
        ]
        width = max(len(r[0]) for r in rows)
        lines = [f"{'figure':{width}}  {'value':>8}  what", f"{'-' * width}  {'-' * 8}  {'-' * 60}"]
        lines += [f"{name:{width}}  {value:>8}  {what}" for name, value, what in rows]
        return "\n".join(lines)

    def problems(self) -> list[str]:
        return [
            *(f"lost: {x}" for x in self.lost),
            *(f"duplicated: {x}" for x in self.duplicated),
            *(f"difference: {x}" for x in self.differences),
            *(f"fuzz: {x}" for x in self.fuzz_failures),
        ]


# ---- the workload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    body: str
    dedup: str
    intent_id: str | None = None  # an intent: one order per targeted symbol is expected
    symbol: str | None = None  # the symbol it targets
    dead_letter: bool = False  # no intent at all: one copy in the DLQ is expected

    @property
    def key(self) -> str:
        return f"signal:{self.intent_id}:{self.symbol}"


@dataclass(frozen=True)
class Ticket:
    key: str
    symbol: str
    quantity: int

    def body(self) -> dict[str, Any]:
        return {"client_order_id": self.key, "symbol": self.symbol, "side": "BUY", "quantity": self.quantity}


def close_of(day: date) -> str:
    return f"{day.isoformat()}T21:00:00Z"  # after the US close all year, as the signal service decides


def workload(
    plan: Plan, run_id: str, sessions: list[date], symbols: tuple[str, ...]
) -> tuple[list[list[Message]], list[Ticket]]:
    """Per session, one intent per symbol, to LONG_WEIGHT on even sessions and flat on odd ones, so
    each is exactly one order; poison and second copies mixed in; deterministic for a seed."""
    rng = random.Random(plan.seed)
    batches: list[list[Message]] = []
    n = 0
    for k, session in enumerate(sessions):
        batch: list[Message] = []
        for symbol in symbols:
            if n >= plan.intents:
                break
            intent_id = f"{run_id}-{n:05d}"
            body = {
                "intent_id": intent_id,
                "session": session.isoformat(),
                "as_of": close_of(session),
                "targets": {symbol: LONG_WEIGHT if k % 2 == 0 else "0"},
                "model_version": "reliability",
            }
            message = Message(json.dumps(body), intent_id, intent_id, symbol)
            batch.append(message)
            n += 1
            if rng.random() < plan.duplicate_rate:
                # The same intent again, as a producer that retried after a lost answer would send it
                # (a new deduplication id, so SQS FIFO cannot drop it).
                batch.append(Message(message.body, f"{intent_id}#again"))
            if rng.random() < plan.poison_rate:
                p = f"{run_id}-poison-{n}"
                if rng.random() < 0.5:
                    bad = {**body, "intent_id": p, "targets": {NO_DATA: LONG_WEIGHT}}
                    batch.append(Message(json.dumps(bad), p, p, NO_DATA))
                else:
                    batch.append(Message(f"not an intent {p}", p, dead_letter=True))
        if batch:
            batches.append(batch)
    tickets = [Ticket(f"{run_id}-ticket-{i:04d}", rng.choice(SYMBOLS), rng.randint(1, 3)) for i in range(plan.tickets)]
    return batches, tickets


def sessions_needed(plan: Plan, symbols: tuple[str, ...]) -> int:
    return -(-plan.intents // len(symbols))


_ADMIN_CONFIG = Config(retries={"max_attempts": 10, "mode": "standard"}, connect_timeout=3, read_timeout=30)


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ---- the harness ---------------------------------------------------------------------------------


class Harness:
    """Drives one run against the stack of ``cfg`` (running, provisioned). The account is its own
    (``account_id``, opened with INITIAL_CASH; the stack's runtime must trade it:
    :func:`harness_runtime_env`), so a stack holding other accounts can be used."""

    def __init__(self, cfg: LocalConfig, plan: Plan, account_id: str, log: Log = print) -> None:
        self.cfg = cfg
        self.plan = plan
        self.account_id = account_id
        self.log = log
        self.runtime_env = harness_runtime_env(account_id)
        self.info = read_stack(cfg)
        self.names = self.info.environment
        self.ddb = admin_client(self.info.endpoint_url, "dynamodb", _ADMIN_CONFIG)
        self.sqs = admin_client(self.info.endpoint_url, "sqs", _ADMIN_CONFIG)
        self.s3 = admin_client(self.info.endpoint_url, "s3", _ADMIN_CONFIG)
        self.queue = self.names["TRADELOOP_ORDER_QUEUE_URL"]
        self.dlq = self.names["TRADELOOP_ORDER_DLQ_URL"]
        self.figures = Figures()
        self._fault_totals: Counter[str] = Counter()  # from emulators killed during the run
        self._rng = random.Random(plan.seed + 1)
        self._pool: Any = None

    # ---- set-up ------------------------------------------------------------------------------------
    def prepare(self) -> tuple[tuple[str, ...], list[date]]:
        """The account, its limits, the copies' bars, the queue's timeout; the symbols and sessions."""
        from tradeloop_common.calendar import get_calendar
        from tradeloop_common.dal.bars import parse_bars
        from tradeloop_common.layout import bars_key

        # The CASH item as the order service's store opens an account (dal.trading.open_account).
        self.ddb.put_item(
            TableName=self.names["TRADELOOP_ACCOUNTS_TABLE"],
            Item={
                "account_id": {"S": self.account_id},
                "item": {"S": "CASH"},
                **{k: {"N": str(INITIAL_CASH)} for k in ("cash", "available", "opening_cash")},
                "reserved": {"N": "0"},
                "version": {"N": "0"},
            },
            ConditionExpression="attribute_not_exists(account_id)",
        )
        # Loss limits would stop buying by themselves on a bad day of the sample: the run needs every
        # intent to trade. Set through the API, as a person would.
        r = requests.put(
            f"{self.cfg.api_url}/controls",
            json={"limits": {"max_daily_loss": 0, "max_drawdown": 0}, "reason": "reliability run"},
            timeout=60,
        )
        if r.status_code != 200:
            raise RuntimeError(f"PUT /controls answered {r.status_code}: {r.text[:300]}")
        bucket = self.names["TRADELOOP_DATA_BUCKET"]
        dates: set[date] = set()
        for copy, source in COPIES.items():
            text = self.s3.get_object(Bucket=bucket, Key=bars_key(source))["Body"].read()
            self.s3.put_object(Bucket=bucket, Key=bars_key(copy), Body=text, ContentType="text/csv")
            dates = set(parse_bars(source, text.decode()).dates) if not dates else dates
        self.sqs.set_queue_attributes(
            QueueUrl=self.queue, Attributes={"VisibilityTimeout": str(self.plan.visibility_timeout)}
        )
        symbols = tuple(sorted(SYMBOLS + tuple(COPIES)))
        calendar = get_calendar()
        wanted = sessions_needed(self.plan, symbols) + 1  # the last session's orders fill at the next open
        sessions = calendar.sessions(FIRST_SESSION, FIRST_SESSION + timedelta(days=2 * wanted + 30))[:wanted]
        missing = [d for d in sessions if d not in dates]
        if missing:
            raise RuntimeError(f"the sample has no bars for sessions {missing[:5]}: choose another FIRST_SESSION")
        return symbols, sessions

    def faults_on(self) -> None:
        plan = {
            "throttle": self.plan.throttle,
            "error": self.plan.error,
            "timeout": self.plan.timeout,
            "timeout_seconds": self.plan.timeout_seconds,
            # A stack without roles signs everything as the administrator: then hit everything.
            "targets": "roles" if self.info.iam_enforced else "all",
            "seed": self.plan.seed,
        }
        self._put_faults(plan)

    def faults_off(self) -> None:
        self._collect_faults()

    def _put_faults(self, plan: dict[str, Any]) -> None:
        r = requests.put(f"{self.info.endpoint_url}/_tradeloop/faults", json=plan, timeout=10)
        r.raise_for_status()

    def _collect_faults(self) -> None:
        """Add the running emulator's counts to the run's totals and switch faults off (before the
        emulator is killed, or the checks start); a new plan starts its counts from zero."""
        r = requests.get(f"{self.info.endpoint_url}/_tradeloop/faults", timeout=10)
        r.raise_for_status()
        for service, kinds in r.json()["injected"].items():
            for kind, n in kinds.items():
                self._fault_totals[f"{service}:{kind}"] += n
        self.figures.faults = Counter(self._fault_totals)
        self._put_faults({})

    # ---- the run -----------------------------------------------------------------------------------
    def run(self, fuzz: bool = True) -> Figures:
        from tradeloop_local.lambda_pool import LambdaPool
        from tradeloop_local.runtime import function_env

        started = time.monotonic()
        run_id = f"rel{int(time.time()) % 10**6:06d}"
        symbols, sessions = self.prepare()
        batches, tickets = workload(self.plan, run_id, sessions, symbols)
        messages = [m for batch in batches for m in batch]
        self.figures.intents = sum(1 for m in messages if m.intent_id and m.symbol != NO_DATA)
        self.figures.poison = sum(1 for m in messages if m.dead_letter or m.symbol == NO_DATA)
        self.figures.duplicates_sent = sum(1 for m in messages if not (m.intent_id or m.dead_letter))
        self.figures.tickets = len(tickets)
        self.figures.sessions = len(batches)
        # The pipeline's fill step: the order function, in instances of the harness's own, as its role.
        # Its log lines would drown the harness's own (the runtime's go to its log file): warnings only.
        env = {**function_env(self.info, "order"), **self.runtime_env, "POWERTOOLS_LOG_LEVEL": "WARNING"}
        self._pool = LambdaPool("order", env, concurrency=1)
        self.log(
            f"run {run_id}: {self.figures.intents} intents, {len(symbols)} symbols x {len(batches)} sessions "
            f"from {sessions[0]} (+{self.figures.duplicates_sent} duplicates, {self.figures.poison} poison), "
            f"{len(tickets)} tickets, kills {list(self.plan.kills)}, faults throttle {self.plan.throttle:.1%} "
            f"error {self.plan.error:.1%} timeout {self.plan.timeout:.1%}"
        )
        try:
            self.faults_on()
            self._trade(batches, sessions, tickets)
            self.faults_off()
            self.check_orders(messages, tickets)
            if fuzz:
                self.fuzz()
            self.reconcile()
        finally:
            self._pool.close()
        self.figures.seconds = time.monotonic() - started
        return self.figures

    def _trade(self, batches: list[list[Message]], sessions: list[date], tickets: list[Ticket]) -> None:
        """Session by session: the intents sent, consumed, a share of the tickets posted, the next
        open filled. The kills fall in the middle of sessions, spread over the run."""
        kill_at = {int(len(batches) * (i + 1) / (len(self.plan.kills) + 1)): k for i, k in enumerate(self.plan.kills)}
        per_session = -(-len(tickets) // len(batches)) if tickets else 0
        next_report = time.monotonic() + 15
        for k, batch in enumerate(batches):
            for start in range(0, len(batch), 10):
                self._send_batch(batch[start : start + 10])
            if k in kill_at:
                self.kill(kill_at[k])  # while the session's intents are being consumed
            self._wait_consumed(sessions[k])
            for ticket in tickets[k * per_session : (k + 1) * per_session]:
                self._post_ticket(ticket)
            self._fill(sessions[k + 1])
            if time.monotonic() > next_report:
                self.log(f"  session {k + 1}/{len(batches)} ({sessions[k]}) done")
                next_report = time.monotonic() + 15

    def _send_batch(self, batch: list[Message]) -> None:
        entries = {
            str(i): {
                "Id": str(i),
                "MessageBody": m.body,
                "MessageGroupId": self.account_id,  # as the signal service sends them
                "MessageDeduplicationId": m.dedup,
            }
            for i, m in enumerate(batch)
        }
        deadline = time.monotonic() + 120
        while entries:
            try:
                resp = self.sqs.send_message_batch(QueueUrl=self.queue, Entries=list(entries.values()))
                for ok in resp.get("Successful", []):
                    entries.pop(ok["Id"], None)
            except (BotoCoreError, ClientError) as exc:
                # The emulator restarting: the same deduplication ids make a repeat of an applied
                # send harmless (SQS FIFO drops it).
                if time.monotonic() > deadline:
                    raise
                self.log(f"  send retried: {type(exc).__name__}")
                time.sleep(0.5)

    def _wait_consumed(self, session: date) -> None:
        deadline = time.monotonic() + self.plan.session_seconds
        while time.monotonic() < deadline:
            try:
                if queue_depth(self.sqs, self.queue) == 0:
                    return
            except (BotoCoreError, ClientError):
                pass
            time.sleep(0.1)
        self.figures.lost.append(f"session {session}: intents still queued after {self.plan.session_seconds:.0f}s")

    def _fill(self, session: date) -> None:
        """Deliver the ingest step's done event ("Session Bars Ingested": the pipeline's fill step)
        until it succeeds (EventBridge retries a failed target; the fill step books nothing twice)."""
        from tradeloop_local.scheduler import bars_ingested_event

        for attempt in range(20):
            try:
                self._pool.invoke(bars_ingested_event(session), timeout=120)
                return
            except Exception as exc:  # noqa: BLE001 - a function error, a dead instance: deliver again
                self.figures.fill_retries += 1
                if attempt == 19:
                    self.figures.lost.append(f"session {session}: its open never filled ({exc})")
                    return
                time.sleep(0.5)

    def _post_ticket(self, ticket: Ticket) -> None:
        """Posted (twice for a share), each retried until it has an answer, as a client that got a 5xx,
        a 409 "still in flight" or no answer must."""
        first = self._post(ticket)
        if self._rng.random() < self.plan.duplicate_rate:
            self.figures.duplicates_sent += 1
            again = self._post(ticket)
            if first and again and again.get("order_id") != first.get("order_id"):
                self.figures.duplicated.append(f"ticket {ticket.key}: a repeat answered another order")

    def _post(self, ticket: Ticket) -> dict[str, Any]:
        deadline = time.monotonic() + 180
        while True:
            try:
                r = requests.post(f"{self.cfg.api_url}/orders", json=ticket.body(), timeout=60)
                if r.status_code == 201:
                    return dict(r.json())
                if r.status_code < 500 and r.status_code != 409:
                    self.figures.lost.append(f"ticket {ticket.key}: refused {r.status_code} {r.text[:200]}")
                    return {}
            except requests.RequestException:
                pass  # the runtime restarting
            if time.monotonic() > deadline:
                self.figures.lost.append(f"ticket {ticket.key}: no answer in 180 s")
                return {}
            time.sleep(0.5)

    # ---- kills ---------------------------------------------------------------------------------------
    def kill(self, kind: str) -> None:
        pids = stackctl.read_pids(self.cfg)
        if kind == "workers":
            workers = stackctl.lambda_workers(self.cfg, pids["runtime"])
            for pid in workers:
                _kill(pid)
            self.figures.kills.append(f"workers ({len(workers)} processes)")
            self.log(f"  kill: SIGKILL {len(workers)} Lambda worker processes")
            return
        if kind == "emulator":
            self._collect_faults()
        _kill(pids[kind])
        self.figures.kills.append(kind)
        self.log(f"  kill: SIGKILL the {kind} (pid {pids[kind]}); make up restarts it")
        started = time.monotonic()
        stackctl.up(self.cfg, with_dashboard=False, log=lambda m: self.log(f"    {m}"), runtime_env=self.runtime_env)
        if kind == "emulator":
            # The state must come back exactly: every replayed record gives the answer it gave live.
            restored = emulator_state(self.info.endpoint_url)["restored"]
            for line in restored.get("divergences", [])[:5] or ([] if not restored["divergent"] else ["?"]):
                self.figures.differences.append(f"replay after the emulator's restart diverged: {line[:200]}")
            self.faults_on()
        self.log(f"  {kind} back in {time.monotonic() - started:.1f}s")

    # ---- checks against the tables and the API -------------------------------------------------------
    def account_orders(self) -> list[dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer

        des = TypeDeserializer()
        found = []
        for page in self.ddb.get_paginator("query").paginate(
            TableName=self.names["TRADELOOP_ORDERS_TABLE"],
            IndexName="by_account",
            KeyConditionExpression="account_id = :a",
            ExpressionAttributeValues={":a": {"S": self.account_id}},
        ):
            found += [{k: des.deserialize(v) for k, v in item.items()} for item in page.get("Items", [])]
        return found

    def check_orders(self, messages: list[Message], tickets: list[Ticket]) -> None:
        orders = self.account_orders()
        by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for order in orders:
            by_key[str(order["client_order_id"])].append(order)
            if len(order.get("fills", [])) > 1:
                self.figures.duplicated.append(f"order {order['order_id']}: {len(order['fills'])} fills")
            if order["status"] == "PENDING":
                self.figures.differences.append(f"order {order['client_order_id']}: still PENDING after its open")
        expected = self._check_intents(messages, by_key) | self._check_tickets(tickets, by_key)
        for key in sorted(by_key.keys() - expected):
            self.figures.duplicated.append(f"order {key}: not asked for by any intent or ticket")
        self._check_dead_letters(messages)
        self.figures.orders = len(orders)

    def _check_intents(self, messages: list[Message], by_key: dict[str, list[dict[str, Any]]]) -> set[str]:
        """Each intent has exactly one order, REJECTED without data, else FILLED; the keys asked for."""
        expected: set[str] = set()
        for m in messages:
            if not m.intent_id:
                continue
            expected.add(m.key)
            found = by_key.get(m.key, [])
            if not found:
                self.figures.lost.append(f"intent {m.key}: no order")
            elif len(found) > 1:
                self.figures.duplicated.append(f"intent {m.key}: {len(found)} orders")
            elif m.symbol == NO_DATA and (found[0]["status"] != "REJECTED" or found[0].get("fills")):
                self.figures.differences.append(f"{m.key}: {found[0]['status']}, should be REJECTED without fill")
            elif m.symbol != NO_DATA and found[0]["status"] != "FILLED":
                why = found[0].get("reason", "")
                self.figures.differences.append(f"{m.key}: {found[0]['status']} ({why}), should have FILLED")
        return expected

    def _check_tickets(self, tickets: list[Ticket], by_key: dict[str, list[dict[str, Any]]]) -> set[str]:
        for t in tickets:
            found = by_key.get(t.key, [])
            if not found:
                self.figures.lost.append(f"ticket {t.key}: no order")
            elif len(found) > 1:
                self.figures.duplicated.append(f"ticket {t.key}: {len(found)} orders")
        return {t.key for t in tickets}

    def _check_dead_letters(self, messages: list[Message]) -> None:
        """Each poison message in the DLQ once, and nothing else there."""
        dead = self._dead_letters()
        for m in messages:
            if m.dead_letter:
                copies = dead.pop(m.body, 0)
                if copies == 0:
                    self.figures.lost.append(f"poison {m.dedup}: not in the DLQ")
                elif copies > 1:
                    self.figures.duplicated.append(f"poison {m.dedup}: {copies} copies in the DLQ")
        for body in dead:
            self.figures.lost.append(f"the DLQ holds a message that should have been processed: {body[:120]}")

    def _dead_letters(self) -> Counter[str]:
        """Every body in the DLQ, counted; the queue is emptied doing so. It is FIFO and the order
        function dead-letters with the account as the group: while one message of a group is in
        flight, no later one is handed out, so reading all of them means deleting each batch read
        (left in flight, the first 10 were all a run of more than 10 poison messages ever saw)."""
        bodies: Counter[str] = Counter()
        seen: set[str] = set()
        for _ in range(1000):
            batch = self.sqs.receive_message(
                QueueUrl=self.dlq, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                break
            for m in batch:
                if m["MessageId"] not in seen:
                    seen.add(m["MessageId"])
                    bodies[m["Body"]] += 1
            self.sqs.delete_message_batch(
                QueueUrl=self.dlq,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        return bodies

    def reconcile(self) -> None:
        """The ledger from the fills against the account's rows and GET /portfolio, to the cent."""
        orders = self.account_orders()
        bought: Counter[str] = Counter()
        buy_cost: dict[str, Decimal] = defaultdict(Decimal)
        sell_net: dict[str, Decimal] = defaultdict(Decimal)
        fills = 0
        for order in orders:
            for fill in order.get("fills", []):
                fills += 1
                notional = _cents(_money(fill["price"]) * int(fill["quantity"]))
                commission = _money(fill["commission"])
                if order["side"] == "BUY":
                    bought[order["symbol"]] += int(fill["quantity"])
                    buy_cost[order["symbol"]] += notional + commission
                else:
                    bought[order["symbol"]] -= int(fill["quantity"])
                    sell_net[order["symbol"]] += notional - commission
        self.figures.fills = fills
        cash_expected = INITIAL_CASH - sum(buy_cost.values(), Decimal(0)) + sum(sell_net.values(), Decimal(0))
        rows = self._account_rows()
        cash_row = rows.get("CASH", {})
        cash = _money(cash_row.get("cash", "NaN"))
        diffs = self.figures.differences
        if cash != cash_expected:
            diffs.append(f"cash {cash} != ledger {cash_expected}")
        pending_reserved = sum((_money(o.get("reserved", 0)) for o in orders if o["status"] == "PENDING"), Decimal(0))
        if "reserved" in cash_row and _money(cash_row["reserved"]) != pending_reserved:
            diffs.append(f"reserved {cash_row['reserved']} != pending orders' {pending_reserved}")
        if "available" in cash_row and _money(cash_row["available"]) != cash - pending_reserved:
            diffs.append(f"available {cash_row['available']} != cash - reserved {cash - pending_reserved}")
        symbols = set(bought) | {k[4:] for k in rows if k.startswith("POS#")}
        for symbol in sorted(symbols):
            row = rows.get(f"POS#{symbol}", {})
            quantity = int(row.get("quantity", 0))
            basis, realized = _money(row.get("cost_basis", 0)), _money(row.get("realized_pnl", 0))
            if quantity != bought[symbol]:
                diffs.append(f"{symbol}: quantity {quantity} != ledger {bought[symbol]}")
            if basis - realized != buy_cost[symbol] - sell_net[symbol]:
                diffs.append(
                    f"{symbol}: cost basis - realized P&L {basis - realized} != buys - sells "
                    f"{buy_cost[symbol] - sell_net[symbol]}"
                )
            if quantity == 0 and basis != 0:
                diffs.append(f"{symbol}: flat with a cost basis of {basis}")
        for key, row in rows.items():
            if key.startswith("RECON#") and row.get("differences"):
                diffs.append(f"the order service's own reconciliation of {key[6:]}: {row['differences']}")
        self._reconcile_api(cash, rows)

    def _reconcile_api(self, cash: Decimal, rows: dict[str, dict[str, Any]]) -> None:
        r = requests.get(f"{self.cfg.api_url}/portfolio", timeout=60)
        if r.status_code != 200:
            self.figures.differences.append(f"GET /portfolio answered {r.status_code}")
            return
        view = r.json()
        if _money(view["cash"]) != _cents(cash):
            self.figures.differences.append(f"/portfolio cash {view['cash']} != account {cash}")
        shown = {p["symbol"]: p for p in view["positions"]}
        for key, row in rows.items():
            if not key.startswith("POS#"):
                continue
            symbol, quantity = key[4:], int(row.get("quantity", 0))
            if quantity and shown.get(symbol, {}).get("quantity") != quantity:
                self.figures.differences.append(f"/portfolio {symbol} quantity != account {quantity}")
            realized = _cents(_money(row.get("realized_pnl", 0)))
            if symbol in shown and _money(shown[symbol]["realized_pnl"]) != realized:
                self.figures.differences.append(f"/portfolio {symbol} realized P&L != account")

    def _account_rows(self) -> dict[str, dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer

        des = TypeDeserializer()
        rows = {}
        for page in self.ddb.get_paginator("query").paginate(
            TableName=self.names["TRADELOOP_ACCOUNTS_TABLE"],
            KeyConditionExpression="account_id = :a",
            ExpressionAttributeValues={":a": {"S": self.account_id}},
            ConsistentRead=True,
        ):
            for item in page.get("Items", []):
                data = {k: des.deserialize(v) for k, v in item.items()}
                rows[str(data["item"])] = data
        return rows

    # ---- fuzzing -------------------------------------------------------------------------------------
    def fuzz(self) -> None:
        from tradeloop_local.fuzzing import fuzz_api

        self.faults_on()  # the API must hold its contract under the same faults
        self.log(f"  fuzzing {self.cfg.api_url}/openapi.json ({self.plan.fuzz_examples} examples per case)")
        result = fuzz_api(self.cfg.api_url, self.plan.fuzz_examples)
        self.faults_off()
        self.figures.requests_fuzzed = result.requests
        self.figures.server_errors = result.server_errors
        self.figures.schema_violations = result.violations
        self.figures.fuzz_failures = result.failures[:20]


def harness_runtime_env(account_id: str) -> dict[str, str]:
    """What the stack's runtime must run with for a harness on ``account_id``: that account (the
    functions read it from their environment), and no schedule (a pipeline run would trade it)."""
    return {"TRADELOOP_ACCOUNT_ID": account_id, "TRADELOOP_SCHEDULE_SECONDS": "0"}


def _kill(pid: int, wait: float = 10.0) -> None:
    """SIGKILL, and wait until the process is gone (or a zombie, reaped when it is ours)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.05)
