// A small HTTP(S) GET client on node:http/https for base downloads: redirects (never https → http),
// proxies from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY or an explicit URL (VS Code's http.proxy), with
// CONNECT tunnelling for https, an idle timeout, and cancellation through an AbortSignal.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { BaseError, DownloadStoppedError } from './errors';

export interface NetworkOptions {
  /** Proxy URL that overrides the environment (VS Code's `http.proxy`); empty: use the environment. */
  proxy?: string;
  /** Environment for HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (default process.env). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** A connection silent for this long counts as dropped (default 30 s). */
  idleTimeoutMs?: number;
  /** Certificates (PEM) to trust besides Node's own, e.g. a company proxy's CA. */
  ca?: string | Buffer;
  maxRedirects?: number;
}

export interface HttpResponse {
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const USER_AGENT = 'image-trainer (base downloader)';

/** Network failures that mean "could not talk to the server"; the message names the URL and the fix. */
const CONNECT_CODES: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (DNS is unreachable)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
};

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why the network failed, as one line naming the URL and what to do. */
export function networkError(err: unknown, url: string, proxy: URL | null): Error {
  if (err instanceof BaseError || err instanceof DownloadStoppedError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
  const via = proxy ? ` through the proxy ${redact(proxy)}` : '';
  if (code in CONNECT_CODES)
    return new BaseError(
      `${url}: cannot download${via}: ${CONNECT_CODES[code]} (${code}) — check the network connection` +
        `${proxy ? ' and the proxy setting' : ' (or set HTTPS_PROXY / --proxy if you need a proxy)'}, then run the same command again`,
    );
  if (TLS_CODES.has(code))
    return new BaseError(
      `${url}: the server's certificate is not trusted (${code}) — if a company proxy inspects HTTPS, ` +
        'give its CA to Node with NODE_EXTRA_CA_CERTS, then run the same command again',
    );
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new BaseError(`${url}: cannot download${via} (${message}) — run the same command again`);
}

function redact(proxy: URL): string {
  return proxy.username ? `${proxy.protocol}//***@${proxy.host}` : `${proxy.protocol}//${proxy.host}`;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/** Does NO_PROXY (comma or space separated: `*`, `host`, `.domain`, `*.domain`, `host:port`) exempt the URL? */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | null = null;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch && !entry.startsWith('[')) {
      entry = portMatch[1];
      entryPort = portMatch[2];
    }
    entry = entry.replace(/^\[|\]$/g, '').replace(/^\*/, '');
    if (entryPort && entryPort !== port) continue;
    if (
      entry.startsWith('.')
        ? host.endsWith(entry) || host === entry.slice(1)
        : host === entry || host.endsWith(`.${entry}`)
    )
      return true;
  }
  return false;
}

/** The proxy for `target`: the explicit one, else HTTPS_PROXY/HTTP_PROXY/ALL_PROXY; none when NO_PROXY matches. */
export function proxyFor(target: URL, options: Pick<NetworkOptions, 'proxy' | 'env'>): URL | null {
  const env = options.env ?? process.env;
  if (bypassesProxy(target, envValue(env, 'no_proxy'))) return null;
  const raw =
    options.proxy && options.proxy.trim() !== ''
      ? options.proxy.trim()
      : target.protocol === 'https:'
        ? (envValue(env, 'https_proxy') ?? envValue(env, 'all_proxy'))
        : (envValue(env, 'http_proxy') ?? envValue(env, 'all_proxy'));
  if (!raw) return null;
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new BaseError(`proxy "${raw}" is not a URL — set it as http://HOST:PORT`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:')
    throw new BaseError(`proxy ${redact(proxy)}: only http:// and https:// proxies are supported`);
  return proxy;
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Opens a tunnel to target's host through the proxy with CONNECT; resolves with the raw socket. */
function connectTunnel(target: URL, proxy: URL, options: NetworkOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const authority = `${target.hostname}:${defaultPort(target)}`;
    const request = (proxy.protocol === 'https:' ? https : http).request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: defaultPort(proxy),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...proxyAuthorization(proxy) },
      agent: false,
      ca: options.ca,
    });
    const onAbort = (): void => {
      request.destroy();
      reject(new DownloadStoppedError(0, 0));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
      request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    request.once('connect', (response, socket) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (response.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(
        new BaseError(
          `${target.href}: the proxy ${redact(proxy)} refused the tunnel (HTTP ${response.statusCode}` +
            `${response.statusCode === 407 ? ', proxy authentication required' : ''}) — check the proxy setting and its credentials`,
        ),
      );
    });
    request.once('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    request.end();
  });
}

async function requestOnce(
  target: URL,
  proxy: URL | null,
  headers: Record<string, string>,
  options: NetworkOptions,
): Promise<http.IncomingMessage> {
  let tunnel: tls.TLSSocket | null = null;
  let request: http.ClientRequest;
  const common = { method: 'GET', headers: { 'user-agent': USER_AGENT, ...headers }, agent: false as const };
  if (proxy && target.protocol === 'https:') {
    const socket = await connectTunnel(target, proxy, options);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    tunnel = tls.connect({ socket, host, servername: net.isIP(host) ? undefined : host, ca: options.ca });
    const secure = tunnel;
    // No agent: Node uses createConnection only when the request has none.
    request = https.request(target, {
      method: common.method,
      headers: common.headers,
      createConnection: () => secure,
    });
  } else if (proxy) {
    request = (proxy.protocol === 'https:' ? https : http).request({
      ...common,
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: defaultPort(proxy),
      path: target.href,
      headers: { ...common.headers, host: target.host, ...proxyAuthorization(proxy) },
      ca: options.ca,
    });
  } else {
    request = (target.protocol === 'https:' ? https : http).request(target, { ...common, ca: options.ca });
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      request.destroy(new DownloadStoppedError(0, 0));
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
      request.destroy(Object.assign(new Error('no data for too long'), { code: 'ETIMEDOUT' })),
    );
    request.once('response', (response) => {
      response.once('close', () => options.signal?.removeEventListener('abort', onAbort));
      resolve(response);
    });
    request.once('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort);
      tunnel?.destroy();
      reject(err);
    });
    request.end();
  });
}

/** GET `url`, following redirects. The caller reads or discards `body`. Failures are one-line BaseErrors. */
export async function httpGet(
  url: string,
  headers: Record<string, string>,
  options: NetworkOptions = {},
): Promise<HttpResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new BaseError(`${url}: not a URL — pass an http:// or https:// address of a model.json`);
  }
  const maxRedirects = options.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      throw new BaseError(`${target.href}: only http:// and https:// addresses can be downloaded`);
    if (options.signal?.aborted) throw new DownloadStoppedError(0, 0);
    const proxy = proxyFor(target, options);
    let response: http.IncomingMessage;
    try {
      response = await requestOnce(target, proxy, headers, options);
    } catch (err) {
      throw networkError(err, target.href, proxy);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      response.resume();
      if (hop >= maxRedirects)
        throw new BaseError(`${url}: more than ${maxRedirects} redirects — the address loops; check it`);
      const next = new URL(location, target);
      if (target.protocol === 'https:' && next.protocol === 'http:')
        throw new BaseError(
          `${target.href}: redirects to plain http (${next.href}); refused — use an https address`,
        );
      target = next;
      continue;
    }
    return {
      url: target.href,
      status,
      statusText: response.statusMessage ?? '',
      headers: response.headers,
      body: response,
    };
  }
}
