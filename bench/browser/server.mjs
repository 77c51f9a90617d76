// @ts-check
/**
 * A tiny static server for the browser bench page, sending the two headers that make a page
 * cross-origin isolated (SharedArrayBuffer, threaded WebAssembly and the pool's workers need it):
 *
 *   Cross-Origin-Opener-Policy: same-origin
 *   Cross-Origin-Embedder-Policy: require-corp
 *
 * It serves only these folders, read-only, from localhost:
 *   /                      -> bench/browser/index.html
 *   /bench/browser/...     -> bench/browser/
 *   /bench/lib/...         -> bench/lib/ (the paired timing loop, shared with the Node bench)
 *   /dist/browser/...      -> dist/browser/ (the library's browser bundles)
 *   /tfjs/...              -> bench/node_modules/@tensorflow/tfjs/dist/
 *   /tfjs-wasm/...         -> bench/node_modules/@tensorflow/tfjs-backend-wasm/dist/ (its .wasm files too)
 *
 *   node bench/browser/server.mjs [port]   serves until stopped, printing its address
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('../', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** URL prefix -> folder. */
const MOUNTS = /** @type {const} */ ([
  ['/bench/browser/', join(bench, 'browser')],
  ['/bench/lib/', join(bench, 'lib')],
  ['/dist/browser/', join(root, 'dist', 'browser')],
  ['/tfjs/', join(bench, 'node_modules', '@tensorflow', 'tfjs', 'dist')],
  ['/tfjs-wasm/', join(bench, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist')],
]);

/** @type {Record<string, string>} */
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** The headers every response carries. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The file a request path names, or null (outside the mounts, or trying to leave one).
 * @param {string} path
 */
function fileFor(path) {
  if (path === '/' || path === '/index.html') return join(bench, 'browser', 'index.html');
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, decodeURIComponent(path.slice(prefix.length))));
    return file.startsWith(dir + sep) ? file : null;
  }
  return null;
}

/**
 * Starts the server on 127.0.0.1.
 * @param {number} [port] 0: any free port
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export function startServer(port = 0) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file = fileFor(path);
    let size = -1;
    try {
      if (file !== null && statSync(file).isFile()) size = statSync(file).size;
    } catch {
      size = -1;
    }
    if (file === null || size < 0) {
      res.writeHead(404, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain' });
      res.end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(size),
      'Cache-Control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr !== null ? addr.port : port;
      resolveStart({
        url: `http://127.0.0.1:${p}/`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const s = await startServer(Number(process.argv[2] ?? 8080));
  console.log(`bench page at ${s.url} (COOP same-origin, COEP require-corp); Ctrl-C to stop`);
}
