import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChunkResult {
  readonly seeds: number;
  readonly failed: number;
  /** What the child printed after its summary line: the first failure's report. */
  readonly report: string;
}

/**
 * Runs seeds [from, from + count) in `jobs` child processes of this same CLI
 * (each takes a contiguous slice), streaming their per-seed failure lines.
 * Every seed still runs alone and deterministically: a failure replays with
 * the printed one-line command whatever the split.
 */
export async function runInChildren(
  from: number,
  count: number,
  members: number,
  jobs: number,
): Promise<ChunkResult[]> {
  const size = Math.ceil(count / jobs);
  const chunks: Promise<ChunkResult>[] = [];
  for (let start = 0; start < count; start += size) {
    chunks.push(runChunk(from + start, Math.min(size, count - start), members));
  }
  return Promise.all(chunks);
}

function runChunk(from: number, count: number, members: number): Promise<ChunkResult> {
  const script = process.argv[1]!;
  const args = [
    ...process.execArgv,
    script,
    '--seeds',
    String(count),
    '--from',
    String(from),
    '--members',
    String(members),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let seeds = 0;
  let failed = 0;
  let afterSummary = false;
  const report: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (afterSummary) {
      report.push(line);
      return;
    }
    const summary = /^seeds=(\d+) passed=\d+ failed=(\d+)/.exec(line);
    if (summary) {
      seeds = Number(summary[1]);
      failed = Number(summary[2]);
      afterSummary = true;
    } else {
      console.log(line);
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (!afterSummary)
        reject(new Error(`sim child for seeds ${from}+${count} exited with ${code} before its summary`));
      else resolve({ seeds, failed, report: report.join('\n') });
    });
  });
}
