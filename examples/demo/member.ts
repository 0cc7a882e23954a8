/**
 * One demo member: a Baton cluster member in its own process. It reports
 * what happens to it as JSON lines on stdout for demo.ts to narrate.
 */
import { Cluster, isBatonError } from '@baton/core';
import { pino } from 'pino';

const config = JSON.parse(process.env.BATON_DEMO_MEMBER ?? '{}') as {
  id: string;
  members: Record<string, string>;
  dataDir: string;
  secret: string;
};

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ id: config.id, at: Date.now(), ...event })}\n`);
}

const cluster = await Cluster.start({
  ...config,
  logger: pino({ level: process.env.BATON_DEMO_LOG ?? 'warn' }),
});
report({ type: 'started', port: cluster.port, pid: process.pid });
cluster.on('leader', (leaderId, term) => report({ type: 'leader', leaderId, term }));

process.on('SIGTERM', () => {
  void cluster.stop().then(() => process.exit(0));
});

for (;;) {
  try {
    const token = await cluster.leadership();
    report({ type: 'leading', term: token.term });
    await new Promise((resolve) => token.signal.addEventListener('abort', resolve, { once: true }));
    const reason = token.signal.reason as { cause?: unknown };
    report({ type: 'lost', term: token.term, cause: String(reason.cause) });
  } catch (e) {
    if (isBatonError(e, 'BATON_STOPPED')) break;
    throw e;
  }
}
