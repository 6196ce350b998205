"""Share-group membership (KIP-932), sans-IO: the ShareGroupHeartbeat state machine.

The member picks its own id (a random UUID in Kafka's URL-safe base64 form) and joins with
epoch 0 and its subscribed topic names; later heartbeats send the names only when they
changed. The coordinator assigns partitions by topic id (server-side assignment, no
reconciliation acknowledgement in share groups). Answers are turned into an ``Outcome``:

- UNKNOWN_MEMBER_ID / FENCED_MEMBER_EPOCH: the assignment is lost, rejoin with epoch 0;
- COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS: find the
  coordinator again after a backoff;
- UNSUPPORTED_VERSION: fatal ``UnsupportedVersionError`` naming what the broker lacks;
- GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED, GROUP_MAX_SIZE_REACHED,
  INVALID_REQUEST and other non-retriable codes: fatal, typed by ``for_code``;
- other retriable codes: retry after a backoff.

Leaving sends epoch -1. Must not do I/O: the caller sends ``request()`` and feeds the
answer to ``on_response()``.
"""

from __future__ import annotations

import base64
import enum
import time
import uuid
from dataclasses import dataclass, field

from aiokafka_gen._codes import COORDINATOR_MOVED, EPOCH_MEMBER_LOST, ApiKey, ErrorCode
from aiokafka_gen.errors import KafkaError, UnsupportedVersionError, for_code
from aiokafka_gen.messages.share_group_heartbeat_request import ShareGroupHeartbeatRequest
from aiokafka_gen.messages.share_group_heartbeat_response import ShareGroupHeartbeatResponse

__all__ = [
    "HEARTBEAT_API",
    "LEAVE_EPOCH",
    "Action",
    "MemberState",
    "Outcome",
    "ShareMembership",
    "new_member_id",
    "unsupported_error",
]

HEARTBEAT_API = ApiKey.SHARE_GROUP_HEARTBEAT
LEAVE_EPOCH = -1


def new_member_id() -> str:
    """A random UUID as Kafka prints one (URL-safe base64, no padding)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def unsupported_error(
    where: str, detail: str = "", *, advertised: bool = False
) -> UnsupportedVersionError:
    """The error for a broker without share groups: it lacks the API, or (``advertised``)
    lists it but answers UNSUPPORTED_VERSION because the feature is off (Kafka 4.1)."""
    state = (
        "lists ShareGroupHeartbeat but has share.version off (kafka-features.sh upgrade "
        "--feature share.version=1)"
        if advertised
        else "does not speak ShareGroupHeartbeat v1"
    )
    text = (
        "share groups (KIP-932, AIOKafkaShareConsumer) need Kafka 4.1+ (GA in 4.2) with the "
        f"feature share.version enabled; the broker at {where} {state}"
    )
    return UnsupportedVersionError(f"{text} ({detail})" if detail else text)


class MemberState(enum.Enum):
    UNJOINED = "unjoined"  # epoch 0 is sent next
    JOINING = "joining"  # epoch 0 sent, no answer yet
    STABLE = "stable"  # a member with an epoch
    LEAVING = "leaving"
    LEFT = "left"
    FATAL = "fatal"


class Action(enum.Enum):
    OK = "ok"  # heartbeat again after ``interval``
    REJOIN = "rejoin"  # assignment lost; heartbeat (epoch 0) again at once
    REDISCOVER = "rediscover"  # forget the coordinator, back off, heartbeat again
    RETRY = "retry"  # back off, heartbeat again
    FATAL = "fatal"  # stop; ``error`` says why


@dataclass
class Outcome:
    action: Action
    error: KafkaError | None = None
    # topic id -> partitions, when the answer carried a (new) assignment
    assignment: dict[uuid.UUID, frozenset[int]] | None = None


@dataclass
class ShareMembership:
    """One member's side of ShareGroupHeartbeat."""

    group_id: str
    rack_id: str | None = None
    member_id: str = field(default_factory=new_member_id)
    epoch: int = 0
    interval_ms: int = 5000
    state: MemberState = MemberState.UNJOINED
    topics: frozenset[str] = frozenset()
    _sent_topics: frozenset[str] | None = None
    assignment: dict[uuid.UUID, frozenset[int]] = field(default_factory=dict)
    assignment_received: bool = False  # some answer carried a non-empty assignment
    joined_at: float | None = None  # time.monotonic() of the answer that gave an epoch
    last_error: str | None = None

    def subscribe(self, topics: frozenset[str]) -> None:
        self.topics = frozenset(topics)

    def request(self) -> ShareGroupHeartbeatRequest:
        """The next ShareGroupHeartbeat (epoch 0 to join, names only when changed)."""
        joining = self.epoch == 0
        if joining:
            self.state = MemberState.JOINING
        send_topics = joining or self._sent_topics != self.topics
        return ShareGroupHeartbeatRequest(
            group_id=self.group_id,
            member_id=self.member_id,
            member_epoch=self.epoch,
            rack_id=self.rack_id if joining else None,
            subscribed_topic_names=sorted(self.topics) if send_topics else None,
        )

    def sent(self, request: ShareGroupHeartbeatRequest) -> None:
        """Note what a request announced (call after it was answered without error)."""
        if request.subscribed_topic_names is not None:
            self._sent_topics = frozenset(request.subscribed_topic_names)

    def on_response(
        self,
        request: ShareGroupHeartbeatRequest,
        response: ShareGroupHeartbeatResponse,
        where: str = "?",
    ) -> Outcome:
        code = response.error_code
        if code:
            return self._on_error(code, response.error_message, where)
        self.sent(request)
        self.last_error = None
        if response.member_id:
            self.member_id = response.member_id
        if self.epoch == 0 and response.member_epoch > 0:
            self.joined_at = time.monotonic()
        self.epoch = response.member_epoch
        if response.heartbeat_interval_ms > 0:
            self.interval_ms = response.heartbeat_interval_ms
        self.state = MemberState.STABLE
        if response.assignment is None:
            return Outcome(Action.OK)
        self.assignment_received = bool(response.assignment.topic_partitions)
        self.assignment = {
            t.topic_id: frozenset(t.partitions) for t in response.assignment.topic_partitions
        }
        return Outcome(Action.OK, assignment=dict(self.assignment))

    def on_transport_error(self, exc: BaseException) -> Outcome:
        """A lost connection or a timeout: find the coordinator again, resend in full."""
        self.last_error = repr(exc)
        self._sent_topics = None
        return Outcome(Action.REDISCOVER, exc if isinstance(exc, KafkaError) else None)

    def _on_error(self, code: int, message: str | None, where: str) -> Outcome:
        error_class = for_code(code)
        self.last_error = f"{error_class.__name__}: {message}" if message else error_class.__name__
        self._sent_topics = None  # the next heartbeat carries the subscription again
        if code in COORDINATOR_MOVED:
            return Outcome(Action.REDISCOVER, error_class(message or self.group_id))
        if code in EPOCH_MEMBER_LOST:
            self.reset()
            return Outcome(Action.REJOIN, error_class(message or self.group_id), assignment={})
        if code == ErrorCode.UNSUPPORTED_VERSION:
            self.state = MemberState.FATAL
            error = unsupported_error(where, message or "", advertised=True)
            return Outcome(Action.FATAL, error)
        error = error_class(message or f"ShareGroupHeartbeat for {self.group_id!r}")
        if error_class.retriable:
            return Outcome(Action.RETRY, error)
        self.state = MemberState.FATAL
        return Outcome(Action.FATAL, error)

    def next_delay(self, quick: float = 0.25, window: float = 5.0) -> float:
        """Seconds until the next heartbeat: the interval, but ``quick`` while the member
        joined less than ``window`` ago and holds nothing yet (the first answers may carry
        no assignment; the coordinator computes it shortly after)."""
        interval = self.interval_ms / 1000.0
        if self.assignment_received or self.joined_at is None:
            return interval
        if time.monotonic() - self.joined_at < window:
            return min(interval, quick)
        return interval

    def reset(self) -> None:
        """Forget the epoch and assignment: the next heartbeat joins again (same id)."""
        self.epoch = 0
        self.state = MemberState.UNJOINED
        self.assignment = {}
        self.assignment_received = False
        self.joined_at = None
        self._sent_topics = None

    def leave_request(self) -> ShareGroupHeartbeatRequest:
        """The heartbeat that leaves the group (epoch -1)."""
        self.state = MemberState.LEAVING
        return ShareGroupHeartbeatRequest(
            group_id=self.group_id, member_id=self.member_id, member_epoch=LEAVE_EPOCH
        )

    def left(self) -> None:
        self.epoch = 0
        self.state = MemberState.LEFT
        self.assignment = {}
