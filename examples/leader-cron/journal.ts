/**
 * What the jobs write to: an append-only journal that keeps, per job, the
 * highest fencing token it has seen and refuses entries carrying a lower
 * one — so a job instance that lost its leadership (and has not noticed
 * yet) cannot write after its successor. Served over HTTP by run.ts, so that
 * every member process writes to the one journal, as to a database.
 */
import { createServer } from 'node:http';

export interface JournalEntry {
  readonly job: string;
  readonly fence: number;
  readonly member: string;
  /** When the journal took it (ms since the journal started). */
  readonly at: number;
}

/** An entry refused: a newer instance of the job has written already. */
export class StaleFenceError extends Error {
  readonly code = 'STALE_FENCE';
  constructor(
    readonly fence: number,
    readonly highest: number,
  ) {
    super(`fencing token ${fence} is older than ${highest}, which the journal has seen`);
  }
}

export class Journal {
  readonly entries: JournalEntry[] = [];
  readonly refused: { job: string; fence: number; highest: number; member: string }[] = [];
  private readonly highest = new Map<string, number>();
  private readonly startedAt = Date.now();

  append(job: string, fence: number, member: string): void {
    const highest = this.highest.get(job) ?? 0;
    if (fence < highest) {
      this.refused.push({ job, fence, highest, member });
      throw new StaleFenceError(fence, highest);
    }
    this.highest.set(job, fence);
    this.entries.push({ job, fence, member, at: Date.now() - this.startedAt });
  }
}

/** Serves `journal` on a free loopback port: POST / { job, fence, member }; 409 when stale. */
export async function serveJournal(journal: Journal): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      let status = 200;
      try {
        const { job, fence, member } = JSON.parse(body) as { job: string; fence: number; member: string };
        journal.append(job, fence, member);
      } catch (error) {
        status = error instanceof StaleFenceError ? 409 : 400;
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Appends an entry; false when the journal refused it as stale. */
export async function appendEntry(url: string, job: string, fence: number, member: string): Promise<boolean> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify({ job, fence, member }) });
  if (res.status === 409) return false;
  if (!res.ok) throw new Error(`journal answered ${res.status}`);
  return true;
}
