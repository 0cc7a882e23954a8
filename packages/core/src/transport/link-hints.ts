/**
 * The likely cause of a link failure, in words an operator can act on.
 * Keys are handshake failures (handshake.ts), socket error codes and the
 * transport's own reasons.
 */
const HINTS: Readonly<Record<string, string>> = {
  'bad-proof': "the two members do not share this cluster's secret or clusterName",
  'refused-by-peer':
    "the peer refused this member's proof: the two do not share this cluster's secret or clusterName",
  'mode-mismatch': 'one member has a secret and the other runs with insecure: true',
  'unexpected-peer': 'the member answering at this URL has another id: check the members option',
  'unknown-peer':
    "the dialling member's id is not in this member's members option: check both members options",
  self: 'this URL points at this member itself: check the members option',
  version: 'the peer runs a Baton version that speaks another protocol',
  'handshake-timeout':
    'the handshake did not finish in time: the other side is not a Baton member, or is overloaded',
  malformed: 'the other side is not a Baton member (or not of a compatible version)',
  'unexpected-frame': 'the other side is not a Baton member (or not of a compatible version)',
  'nonce-reflected': 'the other side replayed this member’s own challenge: not a Baton member',
  'closed-in-handshake':
    "the peer closed the link during the handshake: it may not share this cluster's secret or clusterName",
  ERR_HTTP_REQUEST_TIMEOUT:
    'a client connected to the peer port and did not finish a WebSocket upgrade in time: not a Baton member',
  HPE_INVALID_METHOD: 'a client that does not speak HTTP connected to the peer port: not a Baton member',
  ECONNREFUSED: 'nothing listens at that address: is the member running, and is its URL right?',
  ENOTFOUND: 'the host name does not resolve: check the members option',
  EAI_AGAIN: 'the host name does not resolve right now (DNS)',
  EHOSTUNREACH: 'the address cannot be reached: check the URL and the network',
  ENETUNREACH: 'the address cannot be reached: check the URL and the network',
  ETIMEDOUT: 'the address does not answer: check the URL, the network and firewalls',
  ECONNRESET: 'the connection was cut: the peer restarted, or something in between closed it',
  EPIPE: 'the connection was cut: the peer restarted, or something in between closed it',
};

/** Socket errors that are routine while a peer restarts: their first line is info, not a warning. */
export const ROUTINE_LINK_CAUSES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** The hint for `cause`; TLS errors share one. */
export function linkHint(cause: string): string {
  const hint = HINTS[cause];
  if (hint !== undefined) return hint;
  if (/CERT|TLS|SSL|SELF_SIGNED|VERIFY|SIGNATURE/i.test(cause))
    return 'TLS failed: do both members use certificates signed by the same ca?';
  return 'see the error for details';
}
