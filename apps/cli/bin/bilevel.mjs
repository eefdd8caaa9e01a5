#!/usr/bin/env node
// The `bilevel` executable (the `bin` entry of @bilevel/cli): runs the built command line
// (`dist/main.js`); in a workspace checkout that has not been built yet it runs the TypeScript
// sources through tsx instead, so `npx bilevel` works right after `pnpm install`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/main.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href);
} else {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    process.stderr.write('error: bilevel is not built (no dist/main.js) and tsx is not installed; run `pnpm build` in the workspace\n');
    process.exit(1);
  }
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', tsx, '--conditions=@bilevel/source', main, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal itself; a SIGTERM sent to this process is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 1)));
}
