/**
 * The repository's link check: every relative Markdown link and every `docs/….md#anchor`
 * citation resolves to an existing file and heading anchor (GitHub-style slugs), and no file
 * cites a document outside the repository except through the explicit allow-list
 * (`outside-citations.txt` next to this package's `package.json`).
 * @module
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One broken link, citation or outside reference. */
export interface Problem {
  /** Path relative to the repository root, with `/` separators. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Result of {@link checkRepository}. */
export interface CheckResult {
  /** Broken links, broken citations and outside citations that are not allow-listed. */
  readonly problems: readonly Problem[];
  /** Allow-list entries (`path pattern`) that match nothing any more: delete them. */
  readonly stale: readonly string[];
  /** Number of files scanned. */
  readonly files: number;
  /** Number of links and `docs/` citations checked. */
  readonly links: number;
}

/**
 * Substrings that name a document outside the repository (the project's research notes and
 * design file live beside the repository, not in it): code and docs cite `docs/…` or the papers.
 */
export const OUTSIDE_PATTERNS: readonly string[] = [
  'piggyback-pdhg.md',
  'maid-and-isgd.md',
  'field-lessons.md',
  'field lessons',
  'research/',
  'DESIGN.md',
  '../shared',
];

/** Directories never scanned (dependencies, build output, generated API docs, run output). */
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo', 'coverage', 'reports', 'runs', 'scratch']);

/** This package: its sources and test fixtures name the patterns and paths it looks for, so only its Markdown is checked. */
const SELF = 'tooling/docs-check/';

/** Source files scanned for citations (Markdown files are scanned everywhere). */
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * GitHub's heading slug (as `github-slugger`): strip inline Markdown (links keep their text,
 * code spans their content, emphasis markers go), lower-case, drop every character that is not
 * a letter, mark, number, connector punctuation (`_`), space or hyphen, then turn each space
 * into a hyphen. Duplicates are numbered by {@link headingAnchors}.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+/g, '')
    .replace(/(\*+|(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}]))/gu, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Lines of `markdown` with the contents of fenced code blocks replaced by empty lines. */
function proseLines(markdown: string): string[] {
  const lines = markdown.split('\n');
  let fence: string | null = null;
  return lines.map((line) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null) {
      if (m) {
        fence = m[1]![0]!.repeat(m[1]!.length);
        return '';
      }
      return line;
    }
    if (m && m[1]!.startsWith(fence)) fence = null;
    return '';
  });
}

/** `line` with inline code spans blanked (same length), so links inside them are not read. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)([^`]|(?!\1)`)*?\1/g, (s) => ' '.repeat(s.length));
}

/**
 * The anchors a Markdown file defines: one GitHub slug per ATX heading (`#` … `######`, outside
 * fenced code; repeated slugs get `-1`, `-2`, …) and every explicit `<a id="…">` / `<a name="…">`.
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = githubSlug(h[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:id|name)\s*=\s*["']([^"']+)["']/g)) anchors.add(a[1]!);
  }
  return anchors;
}

/** A link target found in a file. */
export interface FoundLink {
  /** The target as written (path, optional `#anchor`). */
  readonly target: string;
  /** 1-based line. */
  readonly line: number;
}

/**
 * Inline links and images `[text](target "title")` and reference definitions `[label]: target`
 * outside fenced code and code spans. Only relative targets are returned: URLs with a scheme
 * (`https:`, `mailto:` …) and protocol-relative ones are skipped.
 */
export function markdownLinks(markdown: string): FoundLink[] {
  return perLine(proseLines(markdown), (raw) => {
    const line = withoutCodeSpans(raw);
    const targets: string[] = [];
    for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]*)/g)) targets.push(m[1]!.replace(/^<|>$/g, ''));
    const ref = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(line);
    if (ref) targets.push(ref[1]!.replace(/^<|>$/g, ''));
    return targets.filter((t) => !(t === '' || /^[a-z][a-z0-9+.-]*:/i.test(t) || t.startsWith('//'))).map((target) => ({ target }));
  });
}

/** `docs/….md` citations (with an optional `#anchor`), e.g. `docs/math/certificates.md#lemma-1`. */
export function docCitations(text: string): FoundLink[] {
  return perLine(text.split('\n'), (line) => Array.from(line.matchAll(/(?<![\w./-])docs\/[\w./-]*?\.md(?:#[\p{L}\p{N}_-]+)?/gu), (m) => ({ target: m[0] })));
}

/** Occurrences of {@link OUTSIDE_PATTERNS} in `text`: the pattern and its line. */
export function outsideCitations(text: string): { pattern: string; line: number }[] {
  return perLine(text.split('\n'), (line) => OUTSIDE_PATTERNS.filter((p) => line.includes(p)).map((pattern) => ({ pattern })));
}

/** What `find` reports on each of `lines`, in order, each with its 1-based line number. */
function perLine<T extends object>(lines: readonly string[], find: (line: string) => readonly T[]): (T & { line: number })[] {
  return lines.flatMap((line, i) => find(line).map((found) => ({ ...found, line: i + 1 })));
}

/** One allow-list entry: occurrences of `pattern` in `file` are tolerated. */
export interface AllowEntry {
  /** Path relative to the repository root. */
  readonly file: string;
  /** One of {@link OUTSIDE_PATTERNS}. */
  readonly pattern: string;
}

/**
 * Parse an allow-list: one `path pattern` per line (the pattern may contain spaces, e.g.
 * `field lessons`), `#` starts a comment. Throws on a pattern that is not an outside pattern.
 */
export function parseAllowList(text: string): AllowEntry[] {
  const entries: AllowEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (!m || !OUTSIDE_PATTERNS.includes(m[2]!)) {
      throw new Error(`allow-list line ${i + 1}: expected "<path> <pattern>" with a pattern among ${OUTSIDE_PATTERNS.join(', ')}; got "${raw}"`);
    }
    entries.push({ file: m[1]!, pattern: m[2]! });
  });
  return entries;
}

function* walk(root: string, dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (SKIP_DIRS.has(name)) continue;
    const p = join(dir, name);
    const rel = relative(root, p).split(sep).join('/');
    if (rel === 'docs/api') continue;
    const st = statSync(p, { throwIfNoEntry: false }); // a file removed while walking is skipped
    if (!st) continue;
    if (st.isDirectory()) yield* walk(root, p);
    else if (st.isFile()) yield rel;
  }
}

/** Files the check reads: every Markdown file, and source files under `packages/`, `apps/`, `tooling/`. */
export function scannedFiles(root: string): string[] {
  return [...walk(root, root)].filter(
    (f) => f.endsWith('.md') || (/^(packages|apps|tooling)\//.test(f) && SOURCE_EXTENSIONS.some((e) => f.endsWith(e))),
  );
}

/**
 * Check the repository at `root`:
 * - every relative Markdown link resolves (relative to its file) to an existing file or
 *   directory inside the repository, and its `#anchor` (or a same-file `#anchor`) to a heading
 *   of the target Markdown file;
 * - every `docs/….md#anchor` citation (in Markdown and source files) resolves relative to the
 *   root, likewise;
 * - no scanned file mentions an {@link OUTSIDE_PATTERNS} pattern unless `allow` lists the pair.
 *
 * The sources of this package are skipped (they and their fixtures name the patterns and paths
 * the check looks for); its Markdown is checked like any other.
 */
export function checkRepository(root: string, allow: readonly AllowEntry[] = []): CheckResult {
  const absRoot = resolve(root);
  const problems: Problem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (abs: string): Set<string> => {
    let a = anchorCache.get(abs);
    if (!a) {
      a = headingAnchors(readFileSync(abs, 'utf8'));
      anchorCache.set(abs, a);
    }
    return a;
  };
  const used = new Set<number>();
  let links = 0;

  const resolveTarget = (file: string, line: number, target: string, base: string, kind: string): void => {
    links++;
    const hash = target.indexOf('#');
    const path = decodeURIComponent(hash >= 0 ? target.slice(0, hash) : target);
    const anchor = hash >= 0 ? decodeURIComponent(target.slice(hash + 1)) : undefined;
    const abs = path === '' ? resolve(absRoot, file) : resolve(base, path);
    const rel = relative(absRoot, abs).split(sep).join('/');
    const report = (message: string): void => {
      problems.push({ file, line, message: `${kind} ${target}: ${message}` });
    };
    if (rel.startsWith('../') || rel === '..') return report('points outside the repository; cite docs/… or the paper instead');
    if (!existsSync(abs)) return report(`${rel} does not exist`);
    if (anchor === undefined || anchor === '') return;
    if (!abs.endsWith('.md')) return report(`#${anchor} on a file that is not Markdown (${rel})`);
    if (!anchorsOf(abs).has(anchor)) {
      const known = [...anchorsOf(abs)].slice(0, 40).join(', ');
      report(`${rel} has no heading with anchor #${anchor} (anchors: ${known})`);
    }
  };

  const files = scannedFiles(absRoot);
  for (const file of files) {
    const text = readFileSync(join(absRoot, file), 'utf8');
    if (file.endsWith('.md')) {
      for (const l of markdownLinks(text)) resolveTarget(file, l.line, l.target, dirname(join(absRoot, file)), 'link');
    }
    // The checker's own sources and fixtures name the patterns and paths they look for.
    if (file.startsWith(SELF) && !file.endsWith('.md')) continue;
    for (const c of docCitations(text)) resolveTarget(file, c.line, c.target, absRoot, 'citation');
    for (const o of outsideCitations(text)) {
      const k = allow.findIndex((a) => a.file === file && a.pattern === o.pattern);
      if (k >= 0) {
        used.add(k);
        continue;
      }
      problems.push({
        file,
        line: o.line,
        message: `cites "${o.pattern}", a document outside the repository: cite docs/…#anchor or the paper (see docs/README.md#citing-the-docs)`,
      });
    }
  }
  const stale = allow.filter((_, k) => !used.has(k)).map((a) => `${a.file} ${a.pattern}`);
  return { problems, stale, files: files.length, links };
}

/** The allow-list file of this repository's check (tolerated outside citations; empty, and kept empty by the tests). */
export const ALLOW_LIST_FILE = 'tooling/docs-check/outside-citations.txt';

/** {@link checkRepository} with the repository's own allow-list ({@link ALLOW_LIST_FILE}). */
export function checkWithAllowList(root: string): CheckResult {
  const path = join(root, ALLOW_LIST_FILE);
  const allow = existsSync(path) ? parseAllowList(readFileSync(path, 'utf8')) : [];
  return checkRepository(root, allow);
}
