import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Raised when a write carries a fencing token lower than one the store has seen. */
export class StaleTokenError extends Error {
  constructor(
    readonly account: string,
    readonly token: number,
    readonly highest: number,
  ) {
    super(`account ${account}: token ${token} is older than ${highest}`);
  }
}

/**
 * Account balances in files, shared by every instance — the resource the
 * locks protect. Each file keeps the highest fencing token that wrote it; a
 * write with a lower one is refused, so an instance that lost its lock (a
 * pause, a partition) while another took it can never overwrite the newer
 * balance with a stale one. The read feeding the write checks the token too.
 */
export class FencedAccounts {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Reads the balance for a write fenced by `token`: refused if a newer token wrote it already. */
  read(account: string, token: number): number {
    const { balance, fence } = this.load(account);
    if (token < fence) throw new StaleTokenError(account, token, fence);
    return balance;
  }

  /** Writes the balance, fenced by `token`. */
  write(account: string, token: number, balance: number): void {
    const { fence } = this.load(account);
    if (token < fence) throw new StaleTokenError(account, token, fence);
    const file = this.file(account);
    writeFileSync(`${file}.tmp`, JSON.stringify({ balance, fence: token }));
    renameSync(`${file}.tmp`, file);
  }

  /** The balance as stored (no fencing: for reporting). */
  balance(account: string): number {
    return this.load(account).balance;
  }

  private load(account: string): { balance: number; fence: number } {
    try {
      return JSON.parse(readFileSync(this.file(account), 'utf8')) as { balance: number; fence: number };
    } catch {
      return { balance: 0, fence: 0 };
    }
  }

  private file(account: string): string {
    return join(this.dir, `${account.replace(/[^a-z0-9-]/gi, '_')}.json`);
  }
}
