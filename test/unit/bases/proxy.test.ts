// Proxies and HTTPS: HTTP_PROXY / HTTPS_PROXY / NO_PROXY and an explicit proxy (VS Code's http.proxy),
// CONNECT tunnels for https, proxy credentials, untrusted certificates, and redirects that would downgrade.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { bypassesProxy, httpGet, networkError, proxyFor } from '../../../src/trainer/bases/http';
import { getBase, verifyInstalledBase } from '../../../src/trainer/bases/cache';
import { BaseError } from '../../../src/trainer/bases/errors';
import { startModelServer } from '../../fixtures/modelServer';
import { startProxyServer } from '../../fixtures/proxyServer';
import { graphEntry, NO_PROXY_ENV, servedFolder, tempDir } from './helpers';

const TLS_DIR = path.join(__dirname, '..', '..', 'fixtures', 'tls');

async function tlsMaterial(): Promise<{ key: Buffer; cert: Buffer }> {
  return {
    key: await fs.readFile(path.join(TLS_DIR, 'localhost-key.pem')),
    cert: await fs.readFile(path.join(TLS_DIR, 'localhost-cert.pem')),
  };
}

test('proxyFor: scheme-specific variables, ALL_PROXY, lower case first, an explicit proxy wins, NO_PROXY bypasses', () => {
  const https = new URL('https://storage.googleapis.com/x/model.json');
  const http = new URL('http://example.org/x/model.json');
  const env = { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'plain:8080' };
  assert.equal(proxyFor(https, { env })?.href, 'http://secure:3128/');
  assert.equal(proxyFor(http, { env })?.href, 'http://plain:8080/', 'a proxy without scheme is http');
  assert.equal(
    proxyFor(https, { env: { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' } })?.host,
    'lower:1',
  );
  assert.equal(proxyFor(https, { env: { ALL_PROXY: 'http://all:9' } })?.host, 'all:9');
  assert.equal(proxyFor(https, { env: {} }), null);
  assert.equal(proxyFor(https, { env, proxy: 'http://vscode:8888' })?.host, 'vscode:8888');
  assert.equal(proxyFor(https, { env: { ...env, NO_PROXY: '.googleapis.com' } }), null);
  assert.equal(proxyFor(https, { env: { ...env, no_proxy: 'localhost, *' } }), null);
  assert.throws(
    () => proxyFor(https, { env: { HTTPS_PROXY: 'socks5://x:1080' } }),
    /only http:\/\/ and https:\/\/ proxies/,
  );
});

test('networkError: each failure is one line naming the URL and the fix (no DNS lookups needed to test it)', () => {
  const url = 'https://storage.googleapis.com/m/model.json';
  const of = (code: string, proxy: URL | null = null) =>
    networkError(Object.assign(new Error(code), { code }), url, proxy).message;
  assert.match(
    of('ENOTFOUND'),
    /^https:\/\/storage\.googleapis\.com\/m\/model\.json: cannot download: the host name does not resolve \(ENOTFOUND\) — check the network connection \(or set HTTPS_PROXY \/ --proxy/,
  );
  assert.match(of('EAI_AGAIN'), /DNS is unreachable/);
  assert.match(
    of('ECONNRESET', new URL('http://user:secret@proxy:3128')),
    /through the proxy http:\/\/\*\*\*@proxy:3128: the connection was reset \(ECONNRESET\) — check the network connection and the proxy setting/,
  );
  assert.doesNotMatch(
    of('ECONNRESET', new URL('http://user:secret@proxy:3128')),
    /secret/,
    'credentials are not printed',
  );
  assert.match(of('CERT_HAS_EXPIRED'), /certificate is not trusted \(CERT_HAS_EXPIRED\)/);
  assert.match(
    networkError(new Error('weird\nsecond line'), url, null).message,
    /cannot download \(weird\) — run the same command again$/,
  );
});

test('bypassesProxy: hosts, domain suffixes, wildcards and ports', () => {
  const url = new URL('https://a.b.example.com:8443/m.json');
  assert.ok(bypassesProxy(url, 'example.com'));
  assert.ok(bypassesProxy(url, '.example.com'));
  assert.ok(bypassesProxy(url, '*.example.com'));
  assert.ok(bypassesProxy(url, 'other.org,a.b.example.com:8443'));
  assert.ok(!bypassesProxy(url, 'a.b.example.com:443'));
  assert.ok(!bypassesProxy(url, 'ample.com'));
  assert.ok(!bypassesProxy(url, ''));
  assert.ok(bypassesProxy(new URL('http://127.0.0.1:9/x'), '127.0.0.1'));
});

test('proxy: plain http goes through HTTP_PROXY as absolute-URI requests; NO_PROXY sends it direct', async () => {
  const root = await servedFolder();
  const server = await startModelServer(root);
  const proxy = await startProxyServer();
  try {
    const cacheDir = await tempDir('proxy-http');
    const catalogue = [graphEntry(server.origin)];
    const result = await getBase('graph-test', { cacheDir, catalogue, env: { HTTP_PROXY: proxy.url } });
    await verifyInstalledBase(result.dir);
    assert.deepEqual(proxy.forwards, [
      `${server.origin}/graph/model.json`,
      `${server.origin}/graph/group1-shard1of2.bin`,
      `${server.origin}/graph/group1-shard2of2.bin`,
    ]);
    const direct = await tempDir('proxy-bypass');
    await getBase('graph-test', {
      cacheDir: direct,
      catalogue,
      env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
    });
    assert.equal(proxy.forwards.length, 3, 'NO_PROXY: the proxy saw nothing more');
  } finally {
    await proxy.close();
    await server.close();
  }
});

test('proxy: https is tunnelled with CONNECT (explicit proxy option, with credentials); TLS is verified end to end', async () => {
  const root = await servedFolder();
  const tls = await tlsMaterial();
  const server = await startModelServer(root, {}, tls);
  const proxy = await startProxyServer({ auth: 'user:p@ss' });
  try {
    const cacheDir = await tempDir('proxy-https');
    const catalogue = [graphEntry(server.origin)];
    assert.match(server.origin, /^https:/);
    const options = { cacheDir, catalogue, env: NO_PROXY_ENV, ca: tls.cert };
    const withAuth = proxy.url.replace('http://', 'http://user:p%40ss@');
    const result = await getBase('graph-test', { ...options, proxy: withAuth });
    await verifyInstalledBase(result.dir);
    assert.deepEqual(proxy.connects, Array(3).fill(`127.0.0.1:${server.port}`), 'one tunnel per request');
    assert.equal(proxy.forwards.length, 0, 'https is never sent to the proxy in the clear');

    await assert.rejects(
      getBase('graph-test', { ...options, cacheDir: await tempDir('proxy-407'), proxy: proxy.url }),
      (err: unknown) =>
        err instanceof BaseError &&
        /graph\/model\.json: cannot download through the proxy http:\/\/127\.0\.0\.1:\d+: .*refused the tunnel \(HTTP 407, proxy authentication required\)|refused the tunnel \(HTTP 407/.test(
          err.message,
        ),
    );
    assert.ok(proxy.refused >= 1);

    // Without the test CA, the self-signed certificate is refused with a hint about corporate proxies.
    await assert.rejects(
      getBase('graph-test', { cacheDir: await tempDir('untrusted'), catalogue, env: NO_PROXY_ENV }),
      (err: unknown) =>
        err instanceof BaseError &&
        /model\.json: the server's certificate is not trusted \(\w+\) — .*NODE_EXTRA_CA_CERTS/.test(
          err.message,
        ),
    );
  } finally {
    await proxy.close();
    await server.close();
  }
});

test('redirects: https → http is refused; redirect loops stop', async () => {
  const root = await servedFolder();
  const tls = await tlsMaterial();
  const secure = await startModelServer(
    root,
    { redirects: { '/down/model.json': 'http://127.0.0.1:9/model.json' } },
    tls,
  );
  const plain = await startModelServer(root, { redirects: { '/a': '/b', '/b': '/a' } });
  try {
    await assert.rejects(
      httpGet(`${secure.origin}/down/model.json`, {}, { env: NO_PROXY_ENV, ca: tls.cert }),
      /redirects to plain http \(http:\/\/127\.0\.0\.1:9\/model\.json\); refused/,
    );
    await assert.rejects(httpGet(`${plain.origin}/a`, {}, { env: NO_PROXY_ENV }), /more than 5 redirects/);
    await assert.rejects(
      httpGet('ftp://example.org/model.json', {}, { env: NO_PROXY_ENV }),
      /only http:\/\/ and https:\/\/ addresses/,
    );
  } finally {
    await secure.close();
    await plain.close();
  }
});
