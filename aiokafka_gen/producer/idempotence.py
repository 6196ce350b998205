"""Idempotent producer state: producer id and epoch, per-partition sequence numbers.

Sequences are assigned when a batch is drained, in queue order, so batches of one
partition carry consecutive ranges. ``generation`` increases on every new id or epoch;
a batch stamped under an older generation is re-sequenced and re-stamped when it is
drained again (KIP-360: after an epoch bump every partition starts again at 0).
``classify`` decides what an OUT_OF_ORDER_SEQUENCE / UNKNOWN_PRODUCER_ID answer means for
a batch: retry behind an earlier failed batch, bump the epoch, or nothing to resend: the
broker already acknowledged a later sequence of this epoch and an earlier one too. Once a
broker holds a producer's state for a partition it accepts sequences only in order (and
each range belongs to one batch), so the batch is in the log. That happens when an
attempt's answer was lost (a timeout or a dead connection after the append), a later batch
went out on a new connection and was accepted, and the retry came too late for the
broker's five-batch duplicate window. Without an earlier acknowledged batch nothing is
known: a broker without state for the producer (its first batch on the partition, or the
state expired) takes *any* sequence, so a later batch can be accepted while this one never
arrived; the verdict is then a new epoch and a resend (at least once, never a silent loss).
For the same reason ``first_pending`` keeps a partition's first batch of an epoch alone in
flight until the broker has acknowledged something of it.
A bump of an idempotent producer is local (same id, epoch + 1: the broker accepts a higher
epoch that starts at sequence 0); a transactional producer's comes from its coordinator.
Must not do I/O (the transaction manager sends InitProducerId and feeds the answer in).
"""

from __future__ import annotations

import enum

from aiokafka_gen.structs import TopicPartition

from .batch import ProducerBatch, restamp

__all__ = ["ProducerIdentity", "SequenceVerdict"]

NO_PRODUCER_ID = -1
_INT32_MAX = 0x7FFFFFFF


class SequenceVerdict(enum.Enum):
    """What to do with a batch the broker refused for its sequence or producer id."""

    RETRY = "retry"  # an earlier batch of the partition failed first: resend in order
    BUMP_EPOCH = "bump"  # the sequence history is broken: new epoch, sequences from 0
    WRITTEN = "written"  # a later sequence was acknowledged: this batch is in the log


class ProducerIdentity:
    """Producer id, epoch and the sequence bookkeeping of each partition."""

    def __init__(self, transactional: bool = False) -> None:
        self.producer_id = NO_PRODUCER_ID
        self.epoch = -1
        self.generation = 0
        self.transactional = transactional
        self.bump_needed = False
        self._next: dict[TopicPartition, int] = {}
        self._acked: dict[TopicPartition, int] = {}  # next sequence expected by the broker
        self._first: dict[TopicPartition, int] = {}  # lowest sequence acknowledged
        self._stamped: dict[int, int] = {}  # id(batch) -> generation it was stamped under

    @property
    def has_id(self) -> bool:
        return self.producer_id != NO_PRODUCER_ID and not self.bump_needed

    def set_id(self, producer_id: int, epoch: int) -> None:
        """A new id or epoch from InitProducerId: every sequence starts again at 0."""
        self.producer_id = producer_id
        self.epoch = epoch
        self.generation += 1
        self.bump_needed = False
        self._next.clear()
        self._acked.clear()
        self._first.clear()

    def stamp(self, batch: ProducerBatch) -> None:
        """Give a drained batch its sequence (once per generation) and producer state."""
        if self._stamped.get(id(batch)) == self.generation:
            return
        tp = batch.tp
        sequence = self._next.get(tp, 0)
        self._next[tp] = (sequence + batch.record_count) & _INT32_MAX
        batch.sequence = sequence
        self._stamped[id(batch)] = self.generation
        if batch.data is None:
            batch.builder.set_producer_state(
                self.producer_id, self.epoch, sequence, self.transactional
            )
            batch.close()
        else:
            batch.data = restamp(batch.data, self.producer_id, self.epoch, sequence)

    def stamped_now(self, batch: ProducerBatch) -> bool:
        """Was ``batch`` stamped under the current id and epoch?"""
        return self._stamped.get(id(batch)) == self.generation

    def acked(self, batch: ProducerBatch) -> None:
        """The broker acknowledged ``batch``: the expected sequence only moves forward (a
        retried batch acknowledged as a duplicate after later ones must not move it back)."""
        if self.stamped_now(batch):
            end = (batch.sequence + batch.record_count) & _INT32_MAX
            known = self._acked.get(batch.tp)
            if known is None or _ahead(end, known):
                self._acked[batch.tp] = end
            first = self._first.get(batch.tp)
            if first is None or _ahead(first, batch.sequence):
                self._first[batch.tp] = batch.sequence
        self.forget(batch)

    def first_pending(self, tp: TopicPartition) -> bool:
        """Nothing of ``tp`` acknowledged yet under this id and epoch: the broker may hold
        no state for it, and would then accept a later batch that overtook the first."""
        return tp not in self._acked

    def forget(self, batch: ProducerBatch) -> None:
        self._stamped.pop(id(batch), None)

    def classify(self, batch: ProducerBatch) -> SequenceVerdict:
        """Refused for its sequence: retry if an earlier batch is the one missing."""
        if not self.stamped_now(batch):
            return SequenceVerdict.RETRY  # stamped before a bump: re-stamped on resend
        expected = self._acked.get(batch.tp, 0)
        if batch.sequence == expected:
            return SequenceVerdict.BUMP_EPOCH
        end = (batch.sequence + batch.record_count) & _INT32_MAX
        if end == expected or _ahead(expected, end):
            first = self._first.get(batch.tp)
            if first is not None and _ahead(batch.sequence, first):
                return SequenceVerdict.WRITTEN  # in order after an acknowledged batch
            return SequenceVerdict.BUMP_EPOCH  # maybe never written (see the module doc)
        return SequenceVerdict.RETRY

    def request_bump(self) -> None:
        self.bump_needed = True

    def forget_topics(self, topics: set[str]) -> None:
        """Drop the sequences of deleted topics' partitions (a topic made again under the
        name starts without broker state for this producer, so from sequence 0)."""
        for table in (self._next, self._acked, self._first):
            for tp in [tp for tp in table if tp.topic in topics]:
                del table[tp]


def _ahead(a: int, b: int) -> bool:
    """Is sequence ``a`` after ``b``? (Sequences wrap at 2**31; in-flight windows are far
    smaller than half of that.)"""
    return 0 < ((a - b) & _INT32_MAX) < (1 << 30)
