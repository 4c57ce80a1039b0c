"""The embedded emulator's state on disk: moto keeps everything in memory, so without this a stopped
or crashed emulator loses every table, bucket, queue, role and credential (a paper account that ran
for weeks, gone on `make down`).

Design: a write-ahead journal of the requests that change state, compacted by snapshots.

* **Journal** (``journal.log``): every request that may change state and succeeded (status < 400) is
  appended as one record (length, CRC32, pickled entry) and fsync'd *before* its response is sent.
  A client that got an answer can rely on it surviving a SIGKILL (or a power cut). A request whose
  record never reached the disk was never answered, which to the client is a timeout, and AWS
  clients retry those. Reads (Get*/List*/Describe*/Query/Scan, REST GET/HEAD) are not journaled,
  nor a ReceiveMessage that returned nothing and moved nothing.
* **Deterministic replay**: moto draws ids, receipt handles and session tokens from a random source
  and stamps times (SQS visibility, FIFO deduplication windows) from a clock. Each journaled request
  runs with moto's random source seeded from its record and its clock frozen at its first reading
  (all its readings kept for a long poll, which waits on the clock); replay feeds both back, so the
  same requests give the same state: the same receipt handles (a runtime that survived the emulator
  can still delete what it received), the same role credentials (the runtime's keep working), the
  same in-flight messages with the same visibility deadlines. Each record also carries a digest of
  the response; replay compares, and counts divergences.
* **Snapshots** (``snapshot.pickle``): moto's backends pickled whole (AWS-managed IAM policies by
  reference: they are moto's built-in data, 1,500 of them), written to a temporary file, fsync'd,
  renamed over the old one, the directory fsync'd; then the journal is truncated. Taken when the
  emulator stops cleanly (`make down`); once the journal's requests took ``snapshot_work_seconds``
  to serve (replaying costs about what serving did: this bounds a restart), or hold
  ``snapshot_every`` records or ``snapshot_bytes``; in a pause of the changes; and on demand. A
  crash between the rename and the truncation leaves records the snapshot already holds: replay
  skips them by sequence number.
* **Start**: load the snapshot, replay the journal's later records, drop a torn last record (a
  crash in the middle of an append: that request was never answered), refuse a corrupt record in the
  middle (the files are kept; `make reset` is the way to start over).

Why not snapshots alone: a crash-safe state needs a snapshot per answered write, and a snapshot
costs time in proportion to the whole state (about 0.1 s a MB pickled), while a record costs the
request's own size and one fsync (docs/architecture.md has the measurements).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import pickle
import secrets
import struct
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

FORMAT = 1
SNAPSHOT_FILE = "snapshot.pickle"
JOURNAL_FILE = "journal.log"
_MAGIC = b"TLSNAP01"
_RECORD_HEADER = struct.Struct(">II")  # payload length, CRC32 of the payload
_EPOCH = datetime(1970, 1, 1)

# Operations that do not start with a read prefix but change nothing, and the reverse.
_READ_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "TransactGet", "Head", "Lookup", "Search")
_MUTATING_READS = {"GetSessionToken", "GetFederationToken"}  # they mint credentials

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class StateError(RuntimeError):
    """The stored state cannot be loaded as it is (corrupt, or written by another format)."""


# ---- which requests change state -----------------------------------------------------------------


def request_action(environ: dict[str, Any], body: bytes) -> tuple[str, str | None]:
    """(service, operation) of a request as far as the wire says: the SigV4 credential scope names
    the service; X-Amz-Target (JSON protocols) or Action= (query protocols) the operation; REST
    protocols (S3, Lambda, API Gateway) have none."""
    service = ""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0] if "Credential=" in auth else ""
    if not scope:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        scope = (query.get("X-Amz-Credential") or [""])[0]
    parts = scope.split("/")
    if len(parts) >= 4:
        service = parts[3]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return service, target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return service, query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded") and body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return service, action[0]
    return service, None


def may_change_state(method: str, action: str | None) -> bool:
    """Conservative: anything not known to be a read is journaled (a read journaled costs bytes; a
    write missed would cost data)."""
    if action is None:
        return method not in ("GET", "HEAD", "OPTIONS")
    if action in _MUTATING_READS:
        return True
    return not action.startswith(_READ_PREFIXES)


# ---- determinism: moto's clock and random source --------------------------------------------------


class _DeterministicOS:
    """``os`` for the moto modules that draw bytes from os.urandom (STS session tokens, S3 upload
    ids): the same bytes from moto's seeded random source instead."""

    def __init__(self, rng: Any) -> None:
        self._rng = rng

    def urandom(self, n: int) -> bytes:
        return bytes(self._rng.randbytes(n))

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def _isolate_backend_creation(rng: Any) -> None:
    """moto creates a region's (or partition's) backend on first use, and some draw from its random
    source as they do (an IAM backend gives each of its 1,500 built-in policies a random id). When
    that first use falls is not the same live and in a replay (after a snapshot, a partition left
    out of it is created again by whichever request touches it first), so a creation must leave the
    random source where it found it, or the request's own draws (message ids, receipt handles)
    come out different."""
    from moto.core.base_backend import AccountSpecificBackend

    original = AccountSpecificBackend.__getitem__

    def getitem(self: Any, region_name: str) -> Any:
        if region_name in dict.keys(self) or (region_name == "global" and "aws" in dict.keys(self)):
            return original(self, region_name)
        state = rng.getstate()
        try:
            return original(self, region_name)
        finally:
            rng.setstate(state)

    AccountSpecificBackend.__getitem__ = getitem  # type: ignore[method-assign]


class Determinism:
    """Record the clock values a request reads and seed moto's random source, so replay gives the
    same state; installed once per emulator process."""

    def __init__(self) -> None:
        self._mode: str | None = None
        self._clock: list[int] = []
        self._pos = 0
        self._original: Callable[[], datetime] | None = None
        self._modules_seen = 0

    def install(self) -> None:
        import moto.core.utils as core_utils
        from moto.moto_api._internal import mock_random

        if self._original is not None:
            return
        self._original = core_utils.utcnow
        core_utils.utcnow = self.utcnow  # unix_time() reads this global
        _isolate_backend_creation(mock_random)
        for name in ("moto.sts.utils", "moto.s3.models"):
            module = importlib.import_module(name)
            module.os = _DeterministicOS(mock_random)  # type: ignore[attr-defined]
        self._import_services()
        self.sweep()

    @staticmethod
    def _import_services() -> None:
        """Import the services' models now, so the clock can be swept into them before their first
        request (moto imports a service lazily)."""
        from tradeloop_local.tfstack import EMULATED_SERVICES

        aliases = {"cloudwatchevents": "events", "cloudwatchlogs": "logs"}
        for service in EMULATED_SERVICES:
            for part in ("models", "responses"):
                with contextlib.suppress(ImportError):
                    importlib.import_module(f"moto.{aliases.get(service, service)}.{part}")

    def sweep(self) -> None:
        """Point every moto module that imported ``utcnow`` by name at the recorded clock."""
        if len(sys.modules) == self._modules_seen:
            return
        for name, module in list(sys.modules.items()):
            if name.startswith("moto.") and getattr(module, "utcnow", None) is self._original:
                module.utcnow = self.utcnow  # type: ignore[attr-defined]
        self._modules_seen = len(sys.modules)

    def utcnow(self) -> datetime:
        if self._mode == "replay":
            if self._pos < len(self._clock):
                self._pos += 1
                return _EPOCH + timedelta(microseconds=self._clock[self._pos - 1])
            if self._clock:  # the original read fewer times: keep to its last reading
                return _EPOCH + timedelta(microseconds=self._clock[-1])
        if self._mode == "frozen" and self._clock:
            return _EPOCH + timedelta(microseconds=self._clock[0])
        us = time.time_ns() // 1000
        if self._mode in ("record", "frozen"):
            self._clock.append(us)
        return _EPOCH + timedelta(microseconds=us)

    @contextlib.contextmanager
    def recording(self, seed: int, frozen: bool = True) -> Iterator[list[int]]:
        """frozen: every reading of the request is its first (one value to keep, and no decision
        can fall between two readings of one request); else each reading is kept, for a request
        that waits on the clock (an SQS long poll)."""
        from moto.moto_api._internal import mock_random

        self.sweep()
        mock_random.seed(seed)
        self._mode, self._clock = ("frozen" if frozen else "record"), []
        try:
            yield self._clock
        finally:
            self._mode = None

    @contextlib.contextmanager
    def unrecorded(self) -> Iterator[None]:
        """What replay will not run (authorisation: replay skips it) must neither take recorded
        clock values nor move the random source, or the rest of the request reads other ones."""
        from moto.moto_api._internal import mock_random

        mode, self._mode = self._mode, None
        state = mock_random.getstate() if mode else None
        try:
            yield
        finally:
            self._mode = mode
            if state is not None:
                mock_random.setstate(state)

    @contextlib.contextmanager
    def replaying(self, seed: int, clock: list[int]) -> Iterator[None]:
        from moto.moto_api._internal import mock_random

        self.sweep()
        mock_random.seed(seed)
        self._mode, self._clock, self._pos = "replay", list(clock), 0
        try:
            yield
        finally:
            self._mode = None


DETERMINISM = Determinism()


# ---- pickling moto's backends -------------------------------------------------------------------


def _backend_dicts() -> dict[tuple[str, str], Any]:
    """Every moto BackendDict in use, by one (module, attribute) that holds it (the models module
    where there is a choice)."""
    from moto.core.base_backend import BackendDict

    in_use = {id(b) for b in BackendDict._instances}  # type: ignore[misc]
    homes: dict[int, tuple[str, str]] = {}
    found: dict[int, Any] = {}
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("moto.") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, BackendDict) and id(value) in in_use:
                home = homes.get(id(value))
                if home is None or (name.endswith(".models") and not home[0].endswith(".models")):
                    homes[id(value)], found[id(value)] = (name, attr), value
    return {homes[key]: value for key, value in found.items()}


def _pristine(backend: Any) -> bool:
    """An IAM backend holding nothing but moto's built-in policies (moto creates one per partition
    as it looks up keys): not worth 350 KB of snapshot each; it is created again on demand."""
    from moto.iam.models import AWSManagedPolicy, IAMBackend

    if not isinstance(backend, IAMBackend):
        return False
    return not (
        backend.roles
        or backend.users
        or backend.groups
        or backend.instance_profiles
        or backend.open_id_providers
        or backend.saml_providers
        or any(not isinstance(p, AWSManagedPolicy) for p in backend.managed_policies.values())
    )


def _load_private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    return load_der_private_key(der, password=None)


def _versioned_key_store(cls: type, versions: list[tuple[str, list[Any]]]) -> Any:
    store = cls()
    for key, keys in versions:
        dict.__setitem__(store, key, keys)
    return store


def _plain_dict(cls: Any, items: dict[str, Any]) -> Any:
    """A dict subclass rebuilt without its __setitem__: DynamoDB's item attributes check the item's
    size on every set, which unpickling key by key made quadratic (9 s for 10,000 orders)."""
    rebuilt = cls.__new__(cls)
    dict.update(rebuilt, items)
    return rebuilt


_LOCK, _RLOCK = type(threading.Lock()), type(threading.RLock())
# Types pickle handles natively and fast: no hook needs to look at them.
_PLAIN = frozenset({str, int, float, bool, bytes, type(None), list, tuple, dict, set, Decimal})


class _Pickler(pickle.Pickler):
    """moto's objects as they are, except: locks and conditions (recreated empty), private keys
    (KMS: as DER), S3's versioned key stores (every version, not only what items() shows), DynamoDB's
    size-checked attribute dicts (set at once), other BackendDicts and AWS-managed IAM policies (by
    reference to the live ones). The hooks run for every object pickled: they test types, not import."""

    def __init__(self, file: io.BytesIO, homes: dict[int, tuple[str, str]]) -> None:
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict
        from moto.iam.models import AWSManagedPolicy
        from moto.s3.utils import _VersionedKeyStore

        super().__init__(file, protocol=5)
        self._homes = homes
        self._aws_policy, self._versioned, self._limited = AWSManagedPolicy, _VersionedKeyStore, LimitedSizeDict

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) in _PLAIN:
            return None
        if isinstance(obj, self._aws_policy):
            return ("aws-managed-policy", obj.account_id, obj.partition, obj.arn)
        home = self._homes.get(id(obj))
        return ("backend-dict", *home) if home else None

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _PLAIN:
            return NotImplemented
        if kind is self._limited:
            return _plain_dict, (kind, dict(obj))
        if isinstance(obj, self._versioned):
            # A dict whose items() shows only each key's latest version: pickled as it is, a
            # bucket's older versions were lost. Here: every version of every key.
            return _versioned_key_store, (kind, [(k, list(v)) for k, v in dict.items(obj)])
        if isinstance(obj, threading.Condition):
            return threading.Condition, ()
        if kind is _LOCK:
            return threading.Lock, ()
        if kind is _RLOCK:
            return threading.RLock, ()
        if kind.__module__.startswith("cryptography.") and hasattr(obj, "private_bytes"):
            from cryptography.hazmat.primitives import serialization as s

            der = obj.private_bytes(s.Encoding.DER, s.PrivateFormat.PKCS8, s.NoEncryption())
            return _load_private_key, (der,)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        if pid[0] == "backend-dict":
            return getattr(importlib.import_module(pid[1]), pid[2])
        if pid[0] == "aws-managed-policy":
            from moto.iam.models import iam_backends

            _, account, partition, arn = pid
            return iam_backends[account][partition].managed_policies[arn]
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")


def dump_backends() -> bytes:
    """Every backend of every service, account and region, as (account, region, backend) lists."""
    dicts = _backend_dicts()
    homes = {id(bd): home for home, bd in dicts.items()}
    state = {
        home: [(account, region, b) for account, region, b in bd.iter_backends() if not _pristine(b)]
        for home, bd in dicts.items()
    }
    buf = io.BytesIO()
    _Pickler(buf, homes).dump(state)
    return buf.getvalue()


def load_backends(data: bytes) -> None:
    """Put the pickled backends in place of the live ones (in the BackendDicts moto's modules hold)."""
    from moto.core.base_backend import BackendDict

    # The AWS-managed policies referenced come from the live IAM backends (_prime_iam).
    restored: dict[tuple[str, str], list[tuple[str, str, Any]]] = _Unpickler(io.BytesIO(data)).load()
    for (module, attr), backends in restored.items():
        live = getattr(importlib.import_module(module), attr)
        fresh_iam = {(a, r): b for a, r, b in live.iter_backends()} if attr == "iam_backends" else {}
        dict.clear(live)
        for account, region, backend in backends:
            dict.__setitem__(live[account], region, backend)  # live[account] creates the account's dict
        # IAM partitions left out as pristine, and whose built-in policies restored ones reference.
        for (account, region), backend in fresh_iam.items():
            if region not in dict.keys(live[account]):
                dict.__setitem__(live[account], region, backend)
        if live not in BackendDict._instances:  # type: ignore[misc]
            BackendDict._instances.append(live)  # type: ignore[misc]
    _recount_managed_policy_attachments()


def _recount_managed_policy_attachments() -> None:
    """AWS-managed policies were restored by reference to fresh objects: count their attachments."""
    from moto.iam.models import iam_backends

    backend: Any
    for _, _, backend in iam_backends.iter_backends():
        counts: dict[str, int] = {}
        for holder in (*backend.roles.values(), *backend.users.values(), *backend.groups.values()):
            for arn in getattr(holder, "managed_policies", {}):
                counts[arn] = counts.get(arn, 0) + 1
        for policy in backend.aws_managed_policies:
            policy.attachment_count = counts.get(policy.arn, 0)


def _prime_iam(data_accounts: Iterable[str]) -> None:
    from moto.iam.models import iam_backends

    for account in data_accounts:
        iam_backends[account]["aws"]  # noqa: B018 - creates the backend with its managed policies


def _sqs_fingerprint() -> tuple[tuple[str, int, int], ...]:
    """Cheap summary of every queue: did an empty ReceiveMessage still move something (a message to
    the dead-letter queue, an expired in-flight message back to visible)?"""
    from moto.sqs.models import sqs_backends

    backends: list[Any] = [backend for _, _, backend in sqs_backends.iter_backends()]
    return tuple(
        (q.name, len(q._messages), len(q.pending_messages)) for backend in backends for q in backend.queues.values()
    )


# ---- the journal ----------------------------------------------------------------------------------


@dataclass
class Entry:
    seq: int
    seed: int
    clock: list[int]
    environ: dict[str, Any]
    body: bytes
    digest: bytes


_ENVIRON_SKIP = ("wsgi.", "werkzeug.")


def _recordable_environ(environ: dict[str, Any]) -> dict[str, Any]:
    keep: dict[str, Any] = {}
    for key, value in environ.items():
        if key.startswith(_ENVIRON_SKIP):
            continue
        if isinstance(value, str) or (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            keep[key] = value
    keep["wsgi.url_scheme"] = environ.get("wsgi.url_scheme", "http")
    return keep


def _replay_environ(entry: Entry) -> dict[str, Any]:
    environ = dict(entry.environ)
    environ.update(
        {
            "wsgi.input": io.BytesIO(entry.body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(entry.body)),
        }
    )
    return environ


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, and the environ rewound to read it again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        body = stream.read(int(length)) if int(length) else b""
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()  # chunked: werkzeug has de-chunked it
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return bytes(body)


def _waits(environ: dict[str, Any], body: bytes, receive: bool) -> bool:
    """A ReceiveMessage that may long-poll (WaitTimeSeconds not 0, or left to the queue's default):
    moto loops on the clock until its wait is over, so the clock must move during it."""
    if not receive:
        return False
    try:
        wait = json.loads(body or b"{}").get("WaitTimeSeconds") if environ.get("HTTP_X_AMZ_TARGET") else None
    except ValueError:
        wait = None
    if wait is None:
        wait = parse_qs(body.decode("utf-8", "replace")).get("WaitTimeSeconds", [None])[0]
    return str(wait) != "0"


def _digest(status: str, body: bytes) -> bytes:
    return hashlib.blake2b(status.split(" ", 1)[0].encode() + b"\n" + body, digest_size=12).digest()


class Journal:
    """Append-only records: 4-byte length, 4-byte CRC32, pickled Entry."""

    def __init__(self, path: Path, fsync: bool = True) -> None:
        self.path = path
        self._fsync = fsync
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.bytes = os.fstat(self._fd).st_size

    def append(self, entry: Entry) -> None:
        payload = pickle.dumps(entry, protocol=5)
        record = _RECORD_HEADER.pack(len(payload), zlib.crc32(payload)) + payload
        written = os.write(self._fd, record)
        while written < len(record):  # os.write may write less (rare on regular files)
            written += os.write(self._fd, record[written:])
        if self._fsync:
            os.fsync(self._fd)
        self.bytes += len(record)

    def truncate(self) -> None:
        os.ftruncate(self._fd, 0)
        if self._fsync:
            os.fsync(self._fd)
        self.bytes = 0

    def close(self) -> None:
        os.close(self._fd)

    @staticmethod
    def read(path: Path) -> tuple[list[Entry], int, int]:
        """(entries, good length, bytes dropped from a torn tail). A bad record that is not the last
        is corruption, not a torn append: StateError."""
        if not path.exists():
            return [], 0, 0
        data = path.read_bytes()
        entries: list[Entry] = []
        offset = 0
        while offset < len(data):
            if offset + _RECORD_HEADER.size > len(data):
                break  # torn header
            length, crc = _RECORD_HEADER.unpack_from(data, offset)
            end = offset + _RECORD_HEADER.size + length
            if end > len(data):
                break  # torn payload
            payload = data[offset + _RECORD_HEADER.size : end]
            if zlib.crc32(payload) != crc:
                if end == len(data):
                    break  # the last record, torn in place
                raise StateError(f"{path}: record at byte {offset} is corrupt (CRC mismatch) and is not the last")
            entries.append(pickle.loads(payload))
            offset = end
        return entries, offset, len(data) - offset


# ---- the store ------------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    snapshot_seq: int = 0
    replayed: int = 0
    skipped: int = 0
    torn_bytes: int = 0
    divergent: int = 0
    seconds: float = 0.0
    divergences: list[str] = field(default_factory=list)

    @property
    def restored(self) -> bool:
        return self.snapshot_seq > 0 or self.replayed > 0


@dataclass
class StateStore:
    """The emulator's state directory. Every method runs under the emulator's request lock."""

    directory: Path
    # Replaying a record costs about what serving it did, so the journal is folded into a snapshot
    # once the requests it holds took snapshot_work_seconds to serve: a restart replays about that.
    snapshot_work_seconds: float = 3.0
    snapshot_every: int = 1000
    snapshot_bytes: int = 64 * 2**20
    fsync: bool = True
    seq: int = 0
    snapshot_seq: int = 0
    report: RestoreReport = field(default_factory=RestoreReport)
    journal: Journal | None = None
    last_snapshot_seconds: float = 0.0
    snapshot_size: int = 0
    divergent: int = 0
    last_append: float = 0.0  # time.monotonic() of the last record (the compactor waits for a pause)
    work_since_snapshot: float = 0.0  # seconds spent serving the records of the journal
    append_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=1000))  # what keeping costs

    @property
    def snapshot_path(self) -> Path:
        return self.directory / SNAPSHOT_FILE

    @property
    def journal_path(self) -> Path:
        return self.directory / JOURNAL_FILE

    # ---- start ------------------------------------------------------------------------------------
    def restore(self, handle: WsgiApp) -> RestoreReport:
        """Load the snapshot and replay the journal through ``handle`` (the emulator's request
        handler, without its lock or fault injection), IAM checks off: only allowed requests were
        journaled."""
        started = time.perf_counter()
        self.directory.mkdir(parents=True, exist_ok=True)
        DETERMINISM.install()
        report = RestoreReport()
        if self.snapshot_path.exists():
            self.snapshot_seq = self.seq = report.snapshot_seq = self._load_snapshot()
            self.snapshot_size = self.snapshot_path.stat().st_size
        entries, good, torn = Journal.read(self.journal_path)
        if torn:
            with open(self.journal_path, "r+b") as f:
                f.truncate(good)
                os.fsync(f.fileno())
            report.torn_bytes = torn
        with _auth_off():
            for entry in entries:
                if entry.seq <= self.seq:
                    report.skipped += 1
                    continue
                status, body = _run(handle, _replay_environ(entry), entry)
                if _digest(status, body) != entry.digest:
                    report.divergent += 1
                    if len(report.divergences) < 20:
                        service, action = request_action(entry.environ, entry.body)
                        report.divergences.append(
                            f"record {entry.seq}: {entry.environ.get('REQUEST_METHOD')} "
                            f"{entry.environ.get('PATH_INFO')} {service}:{action} -> {status}: {body[:300]!r}"
                        )
                self.seq = entry.seq
                report.replayed += 1
        self.divergent = report.divergent
        self.journal = Journal(self.journal_path, self.fsync)
        report.seconds = time.perf_counter() - started
        self.report = report
        if report.replayed and report.seconds >= self.snapshot_work_seconds / 2:
            self.snapshot()  # compact now rather than replay the same records at every start
        return report

    def _load_snapshot(self) -> int:
        raw = self.snapshot_path.read_bytes()
        if not raw.startswith(_MAGIC):
            raise StateError(f"{self.snapshot_path} is not an emulator snapshot")
        header_len = struct.unpack_from(">I", raw, len(_MAGIC))[0]
        start = len(_MAGIC) + 4
        header = json.loads(raw[start : start + header_len])
        payload = raw[start + header_len :]
        if header.get("format") != FORMAT:
            raise StateError(f"{self.snapshot_path}: format {header.get('format')}, this emulator reads {FORMAT}")
        if hashlib.sha256(payload).hexdigest() != header["sha256"]:
            raise StateError(f"{self.snapshot_path}: checksum mismatch")
        _prime_iam(header.get("accounts", []))
        try:
            load_backends(payload)
        except Exception as exc:
            import moto

            raise StateError(
                f"{self.snapshot_path} (moto {header.get('moto')}) does not load into moto {moto.__version__}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return int(header["seq"])

    # ---- each request ------------------------------------------------------------------------------
    def handle(self, app: WsgiApp, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        body = read_body(environ)
        _, action = request_action(environ, body)
        if not may_change_state(environ.get("REQUEST_METHOD", "GET"), action):
            return [b"".join(app(environ, start_response))]
        return self.apply(app, environ, start_response, body, receive=action == "ReceiveMessage")

    def apply(
        self,
        app: WsgiApp,
        environ: dict[str, Any],
        start_response: StartResponse,
        body: bytes,
        receive: bool = False,
    ) -> list[bytes]:
        """Run a request that may change state; journal it (durably) before answering."""
        seed = secrets.randbits(63)
        recorded = _recordable_environ(environ)
        before = _sqs_fingerprint() if receive else None
        captured: dict[str, str] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            return start_response(status, headers, exc_info)

        started = time.perf_counter()
        with DETERMINISM.recording(seed, frozen=not _waits(environ, body, receive)) as clock:
            out = b"".join(app(environ, capture))
        took = time.perf_counter() - started
        status = captured.get("status", "500")
        changed = not receive or before != _sqs_fingerprint() or b'"ReceiptHandle"' in out or b"<ReceiptHandle>" in out
        if int(status.split(" ", 1)[0]) < 400 and changed:
            self.seq += 1
            assert self.journal is not None
            appending = time.perf_counter()
            self.journal.append(Entry(self.seq, seed, list(clock), recorded, body, _digest(status, out)))
            self.append_seconds.append(time.perf_counter() - appending)
            self.last_append = time.monotonic()
            self.work_since_snapshot += took
            if (
                self.work_since_snapshot >= self.snapshot_work_seconds
                or self.seq - self.snapshot_seq >= self.snapshot_every
                or self.journal.bytes >= self.snapshot_bytes
            ):
                self.snapshot()
        return [out]

    # ---- compaction ---------------------------------------------------------------------------------
    def snapshot(self, target: Path | None = None) -> dict[str, Any]:
        """Write the whole state; into ``target`` (a directory: a copy another emulator can start
        from), else in place of the journal."""
        import moto
        from moto.iam.models import iam_backends

        started = time.perf_counter()
        payload = dump_backends()
        header = json.dumps(
            {
                "format": FORMAT,
                "seq": self.seq,
                "moto": moto.__version__,
                "sha256": hashlib.sha256(payload).hexdigest(),
                "accounts": sorted(iam_backends.keys()),
                "written_at": time.time(),
            }
        ).encode()
        directory = target or self.directory
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{SNAPSHOT_FILE}.tmp"
        with open(tmp, "wb") as f:
            f.write(_MAGIC + struct.pack(">I", len(header)) + header + payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, directory / SNAPSHOT_FILE)
        _fsync_dir(directory)
        size = len(payload) + len(header)
        if target is None:
            assert self.journal is not None
            self.journal.truncate()
            self.snapshot_seq = self.seq
            self.snapshot_size = size
            self.work_since_snapshot = 0.0
            self.last_snapshot_seconds = time.perf_counter() - started
        else:
            (directory / JOURNAL_FILE).unlink(missing_ok=True)
        return {"seq": self.seq, "bytes": size, "seconds": round(time.perf_counter() - started, 4)}

    def close(self, snapshot: bool = True) -> None:
        if self.journal is None:
            return
        if snapshot and self.seq > self.snapshot_seq:
            self.snapshot()
        self.journal.close()
        self.journal = None

    def status(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "seq": self.seq,
            "snapshot_seq": self.snapshot_seq,
            "snapshot_bytes": self.snapshot_size,
            "last_snapshot_seconds": round(self.last_snapshot_seconds, 4),
            "journal_records": self.seq - self.snapshot_seq,
            "journal_bytes": self.journal.bytes if self.journal else 0,
            "journal_work_seconds": round(self.work_since_snapshot, 3),
            "fsync": self.fsync,
            "append_ms": _quantiles_ms(self.append_seconds),
            "divergent": self.divergent,
            "restored": {
                "restored": self.report.restored,
                "snapshot_seq": self.report.snapshot_seq,
                "replayed": self.report.replayed,
                "skipped": self.report.skipped,
                "torn_bytes": self.report.torn_bytes,
                "divergent": self.report.divergent,
                "divergences": self.report.divergences,
                "seconds": round(self.report.seconds, 3),
            },
        }


def _quantiles_ms(seconds: Iterable[float]) -> dict[str, float]:
    """Median and 90th percentile of the last appends (a record pickled, written, fsync'd), in ms."""
    ordered = sorted(seconds)
    if not ordered:
        return {}
    return {
        "median": round(ordered[len(ordered) // 2] * 1000, 3),
        "p90": round(ordered[int(len(ordered) * 0.9)] * 1000, 3),
        "n": len(ordered),
    }


def _run(handle: WsgiApp, environ: dict[str, Any], entry: Entry) -> tuple[str, bytes]:
    captured: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"] = status

    with DETERMINISM.replaying(entry.seed, entry.clock):
        out = b"".join(handle(environ, start_response))
    return captured.get("status", "500"), out


@contextlib.contextmanager
def _auth_off() -> Iterator[None]:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    saved = settings.INITIAL_NO_AUTH_ACTION_COUNT
    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = saved
        ActionAuthenticatorMixin.request_count = 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def state_exists(directory: Path) -> bool:
    return (directory / SNAPSHOT_FILE).exists() or (
        (directory / JOURNAL_FILE).exists() and (directory / JOURNAL_FILE).stat().st_size > 0
    )
