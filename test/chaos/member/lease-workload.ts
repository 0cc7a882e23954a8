import { codeOf, emit, pause } from './emit.js';
import { gapMs, type WorkloadContext } from './workload-context.js';

/** Grants a lease (kept alive by the member), holds it a while, revokes it; again until quiesced. */
export async function leaseLoop(context: WorkloadContext): Promise<void> {
  const { rng, quiesce, cluster } = context;
  const [ttlMin, ttlMax] = context.config.workload.leaseTtlMs;
  while (!quiesce.aborted) {
    try {
      const lease = await cluster.grantLease({ ttlMs: rng.int(ttlMin, ttlMax), signal: quiesce });
      emit({ ev: 'lease', op: 'grant', leaseId: lease.id });
      await pause(rng.int(100, 2000), AbortSignal.any([lease.signal, quiesce]));
      await lease.revoke();
      emit({ ev: 'lease', op: 'revoke', leaseId: lease.id });
    } catch (error) {
      if (!quiesce.aborted) emit({ ev: 'op-error', workload: 'lease', code: codeOf(error) });
    }
    await pause(gapMs(context), quiesce);
  }
}
