import type { ResolvedClusterOptions } from './cluster-options.js';
import { decodeMessage, encodeMessage } from './codec/message-codec.js';
import { resolveMessageLimits } from './codec/message-limits.js';
import type { Env, Logger } from './env.js';
import { BatonError, isBatonError } from './errors.js';
import type { TransportEvents } from './transport/transport.js';
import { WsTransport } from './transport/ws-transport.js';

/**
 * The member's links to its peers, as Cluster.start configures them: the
 * binary codec bounded by `maxFrameBytes`, the secret and TLS material, and a
 * quick redial. Does not listen yet. Unusable TLS material is BATON_CONFIG
 * naming `tls`.
 */
export function createPeerTransport(
  options: ResolvedClusterOptions,
  env: Env,
  logger: Logger,
  onMessage: TransportEvents['onMessage'],
): WsTransport {
  const limits = resolveMessageLimits({ bytesMax: options.maxFrameBytes });
  try {
    return new WsTransport(
      {
        id: options.id,
        listen: options.listen,
        secret: options.secret,
        clusterId: options.clusterName,
        // Only configured members may link to us: knowing the secret does not make a process one.
        acceptPeerIds: Object.keys(options.members),
        ...(options.tls ? { tls: options.tls } : {}),
        encode: (m) => encodeMessage(m, limits),
        decode: (bytes) => decodeMessage(bytes, limits),
        maxPayloadBytes: options.maxFrameBytes,
        logger,
        random: env.random,
        // A restarted peer should be dialled again within a heartbeat or two, not seconds later.
        reconnect: { baseMs: 20, maxMs: 500 },
      },
      { onMessage },
    );
  } catch (error) {
    if (isBatonError(error)) throw error;
    throw new BatonError('BATON_CONFIG', `option tls is not usable: ${String(error)}`, {
      field: 'tls',
      value: '(redacted)',
      cause: error,
    });
  }
}
