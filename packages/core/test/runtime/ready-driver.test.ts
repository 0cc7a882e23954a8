import { describe, expect, it } from 'vitest';
import type { Entry, Message, Snapshot } from '../../src/raft/types.js';
import { ReadyDriver, type ReadyDriverHost } from '../../src/runtime/ready-driver.js';
import type { PersistBatch } from '../../src/storage/log-storage.js';
import { command, commandsOf, msg, TestCluster } from '../raft/harness.js';

/**
 * A host whose disk completes a write only when the test says so, recording
 * in one list everything the driver does, in order.
 */
class RecordingHost implements ReadyDriverHost {
  readonly events: string[] = [];
  readonly sent: Message[] = [];
  readonly applied: Entry[] = [];
  readonly writes: { batch: PersistBatch; done: (error?: unknown) => void }[] = [];
  fatalErrors: unknown[] = [];
  clockMs = 0;
  snapshotEvery = 0;
  savedSnapshots: { snapshot: Snapshot; done: (error?: unknown) => void }[] = [];
  applyThrows = false;

  now(): number {
    return this.clockMs;
  }
  write(batch: PersistBatch, done: (error?: unknown) => void): void {
    this.events.push(`write ${batch.entries.map((e) => e.index).join(',')}`);
    this.writes.push({ batch, done });
  }
  send(m: Message): void {
    this.events.push(`send ${m.type}>${m.to}`);
    this.sent.push(m);
  }
  restore(): void {}
  apply(entries: readonly Entry[]): void {
    if (this.applyThrows) throw new Error('state machine bug');
    this.events.push(`apply ${entries.map((e) => e.index).join(',')}`);
    this.applied.push(...entries);
  }
  reads(): void {}
  onSoftState(): void {}
  onProgress(): void {}
  snapshotDue(): Snapshot | undefined {
    return undefined;
  }
  saveSnapshot(snapshot: Snapshot, done: (error?: unknown) => void): void {
    this.savedSnapshots.push({ snapshot, done });
  }
  fatal(error: unknown): void {
    this.fatalErrors.push(error);
  }
  /** Completes the oldest write still under way. */
  complete(error?: unknown): void {
    const w = this.writes.shift();
    if (!w) throw new Error('no write under way');
    w.done(error);
  }
}

/** A cluster where n1 leads and n2 is driven by a ReadyDriver over `host` (the harness leaves n2 alone). */
function drivenFollower(): { c: TestCluster; host: RecordingHost; driver: ReadyDriver } {
  const c = new TestCluster();
  c.elect('n1');
  c.stabilize();
  c.holding.add('n2');
  const host = new RecordingHost();
  const driver = new ReadyDriver(c.node('n2'), 100, host);
  return { c, host, driver };
}

describe('ReadyDriver: the Ready contract, carried out for NodeLoop and the simulator alike', () => {
  it('a vote that changes only the hard state is written with sync, and answered once durable', () => {
    const { c, host, driver } = drivenFollower();
    const { term } = c.node('n2').status();
    // A transfer's candidate (past stickiness) with a log at least as long as n2's.
    c.deliver({
      type: 'vote',
      from: 'n3',
      to: 'n2',
      term: term + 1,
      lastLogIndex: 100,
      lastLogTerm: term,
      transfer: true,
    });
    driver.pump();
    expect(host.writes).toHaveLength(1);
    const { batch } = host.writes[0]!;
    expect(batch.entries).toEqual([]);
    expect(batch.hardState).toMatchObject({ term: term + 1, vote: 'n3' });
    expect(batch.sync).toBe(true);
    expect(host.sent.filter(msg('voteResp'))).toEqual([]);
    host.complete();
    expect(host.sent.filter(msg('voteResp'))).toMatchObject([{ to: 'n3', reject: false }]);
  });

  it('a follower acknowledges an append only once its write is durable', () => {
    const { c, host, driver } = drivenFollower();
    c.node('n1').propose(command('x'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    driver.pump();
    expect(host.events).toEqual(['write 2']);
    expect(driver.isBusy).toBe(true);
    host.complete();
    expect(host.events).toEqual(['write 2', 'send appendResp>n1']);
    expect(driver.isBusy).toBe(false);
  });

  it('applies committed entries already on disk before the write of newer ones', () => {
    const { c, host, driver } = drivenFollower();
    c.node('n1').propose(command('a'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    driver.pump();
    host.complete();
    // n1 commits 'a' and sends it with the next entry, 'b': 'a' is durable on n2 already.
    c.deliver(host.sent.pop()!);
    c.node('n1').propose(command('b'));
    c.flush();
    c.takeMessages(msg('append', 'n1', 'n3'));
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2')).pop()!);
    host.events.length = 0;
    driver.pump();
    expect(host.events).toEqual(['apply 2', 'write 3']);
    host.complete();
    expect(host.events).toEqual(['apply 2', 'write 3', 'send appendResp>n1']);
    expect(commandsOf(host.applied)).toEqual(['a']);
  });

  it('stops with a fatal error, instead of spinning, when the core keeps handing out empty Readies', () => {
    const { host, driver, c } = drivenFollower();
    const node = c.node('n2');
    driver.pump();
    // A core bug: it says it has work and has none to give (bounded, so a driver without the guard
    // fails this test instead of hanging it).
    let calls = 0;
    node.hasReady = () => ++calls < 10_000;
    driver.pump();
    expect(host.fatalErrors).toHaveLength(1);
    expect(driver.isFailed).toBe(true);
  });

  it('while a leader writes, its new heartbeats leave at once and start a lease round, which keeps its send time after the write', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.stabilize();
    c.holding.add('n1');
    const host = new RecordingHost();
    const driver = new ReadyDriver(c.node('n1'), 100, host);
    c.node('n1').propose(command('x'));
    driver.pump();
    expect(host.events).toEqual(['send append>n2', 'send append>n3', 'write 2']);
    c.tick('n1', 1); // heartbeatTicks is 1: a heartbeat round is due
    host.clockMs = 7;
    driver.pump();
    expect(host.sent.filter(msg('heartbeat')).map((m) => m.to)).toEqual(['n2', 'n3']);
    // The round leaves before the write is done; once a quorum acknowledges it, the lease runs from its send time.
    c.queue.push(...host.sent.filter(msg('heartbeat')));
    c.deliverAll();
    c.flush();
    for (const m of c.takeMessages(msg('heartbeatResp'))) c.deliver(m);
    expect(driver.lease.validUntil(c.node('n1').status())).toBe(107);
    // The write completes much later, with no newer round in between: the next Ready must not
    // present the round that already left as taken now.
    host.clockMs = 60;
    host.complete();
    expect(driver.isBusy).toBe(false);
    expect(host.sent.filter(msg('heartbeat'))).toHaveLength(2);
    expect(driver.lease.validUntil(c.node('n1').status())).toBe(107);
  });

  it('a failed write stops it: fatal once, and nothing is sent, applied or written afterwards', () => {
    const { c, host, driver } = drivenFollower();
    c.node('n1').propose(command('x'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    driver.pump();
    host.complete(new Error('EIO'));
    expect(host.fatalErrors).toHaveLength(1);
    expect(driver.isFailed).toBe(true);
    c.node('n1').propose(command('y'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    driver.pump();
    expect(host.events).toEqual(['write 2']);
  });

  it('a state machine that throws stops it with that error instead of leaving a Ready half done', () => {
    const { c, host, driver } = drivenFollower();
    c.node('n1').propose(command('a'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    driver.pump();
    host.complete();
    c.deliver(host.sent.pop()!);
    c.node('n1').propose(command('b'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2')).pop()!);
    host.applyThrows = true;
    driver.pump();
    expect(driver.isFailed).toBe(true);
    expect((host.fatalErrors[0] as Error).message).toBe('state machine bug');
    expect(host.writes).toHaveLength(0);
  });

  it('compacts the log only once the snapshot it took is durable', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.stabilize();
    c.holding.add('n1');
    const host = new RecordingHost();
    let due = true;
    host.snapshotDue = () => {
      if (!due || host.applied.length === 0) return undefined;
      due = false;
      const last = host.applied[host.applied.length - 1]!;
      return {
        meta: { index: last.index, term: last.term, config: c.node('n1').status().config },
        data: new Uint8Array(),
      };
    };
    const driver = new ReadyDriver(c.node('n1'), 100, host);
    c.node('n1').propose(command('x'));
    driver.pump();
    host.complete();
    c.queue.push(...host.sent);
    c.deliverAll();
    c.flush();
    for (const m of c.takeMessages(msg('appendResp', undefined, 'n1'))) c.deliver(m);
    driver.pump();
    host.complete(); // the commit index, written without fsync
    expect(host.savedSnapshots).toHaveLength(1);
    expect(c.node('n1').status().snapshotIndex).toBe(0);
    expect(driver.isBusy).toBe(true);
    host.savedSnapshots[0]!.done();
    expect(c.node('n1').status().snapshotIndex).toBe(2);
    expect(driver.isBusy).toBe(false);
  });
});
