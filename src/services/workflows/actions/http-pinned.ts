import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';

/**
 * Where the `http` action connects. The allowlist (WORKFLOW_HTTP_ALLOW) names hosts, and a name
 * says nothing about where it points: an allowed name (or any name under an allowed wildcard)
 * may resolve to 127.0.0.1, a private network or the cloud metadata address, and a name that
 * resolved to a public address when it was checked may resolve elsewhere when the connection is
 * made (DNS rebinding). So the action resolves each hop's name once, checks every address it
 * got, and connects to the checked address only (the name stays the Host header, the TLS server
 * name and what the certificate is checked against).
 *
 * An address that is not public (loopback, private, link-local, CGNAT, multicast, reserved) is
 * reached only when the operator named it: as an IP literal entry of the allowlist (the URL may
 * then use that literal or a name resolving to it), or `localhost` itself for loopback.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address of a name (an IP literal resolves to itself); the system resolver by default. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** An IPv4 address carried in IPv6 (mapped ::ffff:a.b.c.d, or NAT64 64:ff9b::/96) is judged as that IPv4 address. */
function embeddedIpv4(address: string): string | null {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export function isPublicAddress(address: string): boolean {
  const v4 = embeddedIpv4(address);
  if (v4 !== null) return !NOT_PUBLIC.check(v4, 'ipv4');
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export function isLoopbackAddress(address: string): boolean {
  const v4 = embeddedIpv4(address) ?? (isIP(address) === 4 ? address : null);
  return v4 !== null ? v4.startsWith('127.') : address === '::1';
}

/** `[::1]` -> `::1`, and the canonical spelling of an IPv6 literal (as the URL parser writes it). */
export function bareAddress(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) === 6 ? new URL(`http://[${bare}]/`).hostname.slice(1, -1) : bare;
}

/** One request to `address` (already checked) for `url`; a web Response whose body streams. */
export function pinnedRequest(
  url: URL,
  address: ResolvedAddress,
  init: { method: string; headers: Headers; body?: string | undefined; signal: AbortSignal },
): Promise<Response> {
  // Connect where the check said, whatever the resolver says now. Node asks for one address or,
  // with happy eyeballs (autoSelectFamily), for a list.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  };
  const headers: Record<string, string> = {};
  init.headers.forEach((value, name) => (headers[name] = value));
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    // agent false: no pooled socket made for an earlier resolution is reused.
    const req = send(url, { method: init.method, headers, lookup, agent: false, signal: init.signal }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const bodyless = init.method === 'HEAD' || status === 204 || status === 205 || status === 304;
      if (bodyless) res.resume();
      try {
        resolve(new Response(bodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: responseHeaders }));
      } catch (error) {
        res.destroy();
        reject(error as Error);
      }
    });
    req.once('error', reject);
    req.end(init.body);
  });
}
