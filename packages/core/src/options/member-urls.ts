import { configError } from './config-error.js';

/** A member id: what the handshake and the log can carry. */
export const MEMBER_ID_PATTERN: RegExp = /^[A-Za-z0-9._-]{1,64}$/;

/** The scheme, host and port of a member URL; a port must be written out. */
const URL_AUTHORITY = /^wss?:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d*))?(?:[/?#]|$)/i;

/**
 * Checks `members`: an object (not an array) of member id → ws:// or wss://
 * URL with an explicit port, the scheme matching `tls`, no two ids at one
 * address, and `id` among them. Errors are BATON_CONFIG naming `members` or
 * `members.<id>`.
 */
export function checkMembers(members: unknown, id: string, tls: boolean): Readonly<Record<string, string>> {
  if (Array.isArray(members)) {
    throw configError(
      'members',
      members,
      'an object of member id → URL, such as { n1: "ws://10.0.0.1:7401" }, not an array',
    );
  }
  if (typeof members !== 'object' || members === null) {
    throw configError(
      'members',
      members,
      'an object of member id → URL, such as { n1: "ws://10.0.0.1:7401" }',
    );
  }
  const byAddress = new Map<string, string>();
  for (const [memberId, url] of Object.entries(members as Record<string, unknown>)) {
    const field = `members.${memberId}`;
    if (!MEMBER_ID_PATTERN.test(memberId)) {
      throw configError(field, memberId, 'keyed by a member id of 1–64 letters, digits, ".", "_" or "-"');
    }
    const address = memberAddress(field, url, tls);
    const other = byAddress.get(address);
    if (other !== undefined)
      throw configError(field, url, `an address of its own, not the one members.${other} has`);
    byAddress.set(address, memberId);
  }
  if (!Object.hasOwn(members, id)) {
    const ids = Object.keys(members);
    throw configError(
      'members',
      members,
      `an object that contains this member's id "${id}"`,
      ids.length === 0 ? 'no members' : `members ${ids.join(', ')} only`,
    );
  }
  return members as Readonly<Record<string, string>>;
}

/** The normalised "host:port" of a member URL, after checking it. */
function memberAddress(field: string, url: unknown, tls: boolean): string {
  const wanted = tls ? 'wss://' : 'ws://';
  const example = `${wanted}10.0.0.1:7401`;
  if (typeof url !== 'string') throw configError(field, url, `a URL such as ${example}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError(field, url, `a URL such as ${example}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw configError(field, url, `a ${wanted} URL such as ${example}`);
  }
  if (parsed.protocol !== wanted.slice(0, -2)) {
    throw configError(
      field,
      url,
      tls ? 'a wss:// URL, since the tls option is set' : 'a ws:// URL, since wss:// needs the tls option',
    );
  }
  const port = URL_AUTHORITY.exec(url)?.[2];
  if (port === undefined || port === '')
    throw configError(field, url, `a URL with a port, such as ${example}`);
  return `${parsed.hostname.toLowerCase()}:${Number(port)}`;
}
