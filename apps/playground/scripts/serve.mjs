#!/usr/bin/env node
// Serve the built playground (apps/playground/dist) on a loopback port and print its URL:
// `npm run playground` at the repository root, or `node apps/playground/scripts/serve.mjs [port]`.
// Only 127.0.0.1 is bound; only files inside dist/ are served.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** The built app's folder. */
export const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * Serve `root` on 127.0.0.1:`port` (0: any free port). Resolves to `{ url, close }`.
 * @param {string} root
 * @param {number} port
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export function serve(root = DIST, port = 0) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      ok({
        url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 4173);
  try {
    await stat(join(DIST, 'index.html'));
  } catch {
    console.error(`no build in ${DIST}: run \`pnpm build\` (or \`pnpm --filter @bilevel/playground build\`) first`);
    process.exit(1);
  }
  const { url } = await serve(DIST, port);
  console.log(`bilevel playground: ${url}  (Ctrl-C stops)`);
}
