import type { ProposeResult } from '../raft/raw-node.js';
import type { LogIndex, MemberId, Term } from '../raft/types.js';
import type { AppliedRecord } from './apply-checker.js';
import type { SafetyCheckers } from './checkers.js';

interface PendingProposal {
  readonly term: Term;
  readonly key: string;
}

/**
 * The simulated clients' memory of their proposals. A proposal is
 * acknowledged when the member it was proposed to applies it at the index
 * and term `propose` returned — the moment a real client would be told
 * "done". Acknowledged proposals are handed to the checkers, which then hold
 * every member to them. A proposal whose member crashes or applies something
 * else at that index is simply never acknowledged.
 */
export class SimClient {
  readonly pendingMax: number;
  private readonly checkers: SafetyCheckers;
  private readonly pending = new Map<MemberId, Map<LogIndex, PendingProposal>>();
  private pendingCount = 0;
  private readonly acked = new Map<string, LogIndex>();
  proposals = 0;
  accepted = 0;

  constructor(checkers: SafetyCheckers, pendingMax = 100_000) {
    this.checkers = checkers;
    this.pendingMax = pendingMax;
  }

  /** How many proposals were acknowledged. */
  get ackedCount(): number {
    return this.acked.size;
  }

  /** The index at which the proposal of `text` was acknowledged, if it was. */
  ackedIndex(text: string): LogIndex | undefined {
    return this.acked.get(`cmd:${text}`);
  }

  /** Records the outcome of proposing `text` to `member`. */
  proposed(member: MemberId, text: string, result: ProposeResult | undefined): void {
    this.proposals++;
    if (!result?.ok) return;
    this.accepted++;
    if (this.pendingCount >= this.pendingMax) return; // too many in flight to track; just not checked
    let byIndex = this.pending.get(member);
    if (!byIndex) {
      byIndex = new Map();
      this.pending.set(member, byIndex);
    }
    byIndex.set(result.index, { term: result.term, key: `cmd:${text}` });
    this.pendingCount++;
  }

  /** `member` applied `record`: acknowledge the proposal waiting there, or give it up. */
  onApply(member: MemberId, record: AppliedRecord): void {
    const byIndex = this.pending.get(member);
    const waiting = byIndex?.get(record.index);
    if (!byIndex || !waiting) return;
    byIndex.delete(record.index);
    this.pendingCount--;
    if (waiting.term === record.term && waiting.key === record.key) {
      this.acked.set(record.key, record.index);
      this.checkers.onAck(record.index, record.key);
    }
  }

  /** A snapshot jumped `member`'s state past some pending proposals: their outcome is unknown to it. */
  onRestore(member: MemberId, index: LogIndex): void {
    const byIndex = this.pending.get(member);
    if (!byIndex) return;
    for (const i of [...byIndex.keys()]) {
      if (i <= index) {
        byIndex.delete(i);
        this.pendingCount--;
      }
    }
  }

  /** The member crashed: whatever it had not yet applied is never acknowledged. */
  onCrash(member: MemberId): void {
    this.pendingCount -= this.pending.get(member)?.size ?? 0;
    this.pending.delete(member);
  }
}
