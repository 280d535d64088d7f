/**
 * The `Host` check against DNS rebinding: a page on `http://evil.example:8787` whose name the
 * attacker re-points at 127.0.0.1 reaches a loopback server, but its requests say
 * `Host: evil.example:8787`. So a request is served only when its Host names this server:
 *
 * - a loopback name, any port: `localhost`, `127.0.0.1`, `[::1]`;
 * - the very address the connection came in on (an IP literal, any port: what load balancers,
 *   Kubernetes probes and Prometheus use when they dial an address); an IP literal cannot be
 *   re-pointed, so it is no rebinding vector;
 * - a name in the `allowedHosts` option: `api.example.com` (any port), `api.example.com:8443`
 *   (that port), `.example.com` (the name and every subdomain); `*` turns the check off.
 *
 * Anything else, a missing Host included, is answered 421 Misdirected Request.
 */
import { isIP } from 'node:net';
import { HttpError } from '../http-error';

/** The names every server answers to. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** True when a request with `host` that came in on `localAddress` may be served. */
export type HostCheck = (host: string | undefined, localAddress: string | undefined) => boolean;

interface Entry { readonly name: string; readonly port: string | undefined; readonly subdomains: boolean }

const HOST = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/** `host` split into a lower-case name (no trailing dot, IPv6 in brackets) and a port, or undefined when malformed. */
export const parseHost = (host: string): { name: string; port: string | undefined } | undefined => {
  const match = HOST.exec(host.trim().toLowerCase());
  if (match === null) return undefined;
  const name = match[1].endsWith('.') ? match[1].slice(0, -1) : match[1];
  return name === '' ? undefined : { name, port: match[2] };
};

/** An address as a Host name: IPv4-mapped IPv6 unwrapped, IPv6 in brackets. */
const asHostName = (address: string): string => {
  const plain = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return isIP(plain) === 6 ? `[${plain}]` : plain;
};

const entryOf = (text: string): Entry | undefined => {
  const subdomains = text.startsWith('.');
  const parsed = parseHost(subdomains ? text.slice(1) : text);
  return parsed === undefined ? undefined : { name: parsed.name, port: parsed.port, subdomains };
};

/** The check for the `allowedHosts` option (see the file comment). */
export const createHostCheck = (allowedHosts: readonly string[] = []): HostCheck => {
  if (allowedHosts.includes('*')) return () => true;
  const entries = [...LOOPBACK_HOSTS, ...allowedHosts].map(entryOf).filter((entry): entry is Entry => entry !== undefined);
  return (host, localAddress) => {
    const parsed = host === undefined ? undefined : parseHost(host);
    if (parsed === undefined) return false;
    const { name, port } = parsed;
    if (localAddress !== undefined && name === asHostName(localAddress)) return true;
    return entries.some((entry) => (entry.port === undefined || entry.port === port)
      && (name === entry.name || (entry.subdomains && name.endsWith(`.${entry.name}`))));
  };
};

/** The answer to a Host that is not allowed. */
export const misdirected = (): HttpError =>
  new HttpError(421, 'This server does not answer to that Host name; add it to allowedHosts (--allowed-hosts) if it is yours', 'host_not_allowed');

/** Problems with the `allowedHosts` option. */
export const allowedHostsProblems = (value: unknown): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string' || (entry !== '*' && entryOf(entry) === undefined))) {
    return ['allowedHosts must be an array of host names (api.example.com, api.example.com:8443, .example.com) or "*"'];
  }
  return [];
};
