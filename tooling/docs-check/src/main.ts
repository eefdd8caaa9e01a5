/**
 * `pnpm docs:check`: run the link check on the repository and print every problem
 * (`file:line message`); exit code 1 when there is one or when the allow-list has stale entries.
 * @module
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALLOW_LIST_FILE, checkWithAllowList } from './links.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const r = checkWithAllowList(root);
const out: string[] = r.problems.map((p) => `${p.file}:${p.line} ${p.message}`);
for (const s of r.stale) out.push(`${ALLOW_LIST_FILE}: stale entry "${s}" (it matches nothing any more): delete the line`);
out.push(`${r.files} files, ${r.links} links and citations checked, ${r.problems.length} problems, ${r.stale.length} stale allow-list entries`);
process.stdout.write(`${out.join('\n')}\n`);
process.exitCode = r.problems.length > 0 || r.stale.length > 0 ? 1 : 0;
