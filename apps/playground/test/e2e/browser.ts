/**
 * Browser fixtures of the end-to-end tests: Debian's Chromium (installed with apt-get when
 * missing), driven headless by playwright-core with the flags this machine needs, a fresh
 * profile per run; the built page (built here when missing or older than its sources) served
 * on a loopback port.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { DIST, serve } from '../../scripts/serve.mjs';

/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';
const app = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const repo = join(app, '..', '..');

/** Install Debian's chromium when it is missing (as root: `apt-get install -y chromium`). */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) and run again`);
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit', timeout: 600_000 });
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build the page with vite unless dist/ is newer than the app's and the packages' sources. */
export async function ensureBuilt(): Promise<void> {
  const index = join(DIST, 'index.html');
  const sources = [join(app, 'src'), join(app, 'index.html'), join(app, 'kernels.html'), join(app, 'vite.config.ts')];
  const pkgs = readdirSync(join(repo, 'packages')).map((p) => join(repo, 'packages', p, 'src')).filter(existsSync);
  const stamp = Math.max(...[...sources, ...pkgs].map((p) => (statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs)));
  if (existsSync(index) && statSync(index).mtimeMs > stamp) return;
  const { build } = await import('vite');
  await build({ root: app, configFile: join(app, 'vite.config.ts'), logLevel: 'error' });
}

/** A headless Chromium with a fresh profile, the built page served on 127.0.0.1, and a cleanup. */
export async function openBrowser(): Promise<{ context: BrowserContext; url: string; close: () => Promise<void> }> {
  ensureChromium();
  await ensureBuilt();
  const server = await serve(DIST, 0);
  const profile = mkdtempSync(join(tmpdir(), 'bilevel-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 1100 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    url: server.url,
    close: async () => {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots and downloads of the e2e tests go (git-ignored). */
export const ARTIFACTS = join(app, 'test-artifacts');
