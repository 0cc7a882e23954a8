import type { Election } from '@baton/election';
import { codeOf, emit, pause } from './emit.js';
import { watchValidity } from './validity-watch.js';
import { gapMs, type WorkloadContext } from './workload-context.js';

/** Campaigns, leads a while (reporting its validity), resigns; again until quiesced. */
export async function electionLoop(context: WorkloadContext, election: Election): Promise<void> {
  const { rng, quiesce } = context;
  while (!quiesce.aborted) {
    try {
      const lead = await election.campaign({ signal: quiesce, value: context.config.id });
      const stopWatch = new AbortController();
      const watching = watchValidity(lead, 'election', election.name, lead.fencingToken, stopWatch.signal);
      await pause(rng.int(100, 1500), AbortSignal.any([lead.signal, quiesce]));
      stopWatch.abort();
      await watching;
      await election.resign();
    } catch (error) {
      if (!quiesce.aborted) emit({ ev: 'op-error', workload: 'election', code: codeOf(error) });
    }
    await pause(gapMs(context), quiesce);
  }
}
