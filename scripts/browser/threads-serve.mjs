// serve.mjs: serves this folder on http://localhost:8080 with the two headers that make its pages
// cross-origin isolated (SharedArrayBuffer, worker threads). Run: node serve.mjs
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const root = resolve('.');
const port = Number(process.env.PORT ?? 8080);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json' };

createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://localhost').pathname));
  const file = join(root, path.endsWith('/') ? join(path, 'index.html') : path);
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Content-Type': types[extname(file)] ?? 'application/octet-stream',
  };
  let body;
  try {
    if (!file.startsWith(root)) throw new Error('outside the folder');
    body = await readFile(file);
  } catch {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, headers).end(body);
}).listen(port, () => console.log(`http://localhost:${port}/`));
