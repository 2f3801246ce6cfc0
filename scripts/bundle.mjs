#!/usr/bin/env node
/**
 * Bundles the function app for deployment (azd `dist: dist-bundle`).
 *
 * Layout of the output folder:
 *   index.js                 the entry (package.json `main`): registers every function with a handler that
 *                            require()s functions.js on the first invocation. Loading it costs @azure/functions
 *                            and the trigger settings only, no Azure SDK: the worker starts, indexes the
 *                            functions and answers its first request without parsing any SDK.
 *   functions.js             every functions/*.ts and what they import, in one bundle (one composition root, one
 *                            credential; the SDKs parsed once). Loaded on the first invocation of any trigger.
 *   host.json, package.json  (no dependencies: nothing is installed on the server)
 * Source maps are written to <out>.sourcemaps/ (same relative paths), outside the deployment package.
 *
 * The function files call `register(def)` at load time; inside functions.js that call is replaced by a no-op
 * (the entry registers them), so a lazily loaded bundle never registers twice.
 *
 * Usage: node scripts/bundle.mjs [--out <dir>] [--functions <dir>] [--quiet] [--json]
 * (--json prints the result object on stdout instead of the summary.)
 * Exit code 1 on a build error, on a function file without an exported FunctionDefinition, or when the bundle pulls in
 * src/local or the emulator package @sql-key-rotation/local-azure (the emulator and the local host must never ship).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const args = { out: join(root, 'dist-bundle'), functions: join(root, 'functions'), quiet: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') args.out = resolve(argv[++i]);
    else if (a === '--functions') args.functions = resolve(argv[++i]);
    else if (a === '--quiet') args.quiet = true;
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Provided by the Functions worker at run time; never bundled. */
const EXTERNAL = ['@azure/functions-core'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // Maps go next to the bundle folder, not into the deployment package (see moveSourceMaps).
  sourcemap: 'external',
  sourcesContent: false,
  // Readable function names in stack traces despite minification.
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  external: EXTERNAL,
  // Prefer the CommonJS build of dual packages: no ESM interop shims, and it is what Node itself would load.
  mainFields: ['main', 'module'],
};

/** In function bundles, `register` from src/functionsHost/functionDefinition is a no-op (the entry registers). */
function noRegisterPlugin(functionDefinitionPath) {
  return {
    name: 'no-register',
    setup(b) {
      b.onResolve({ filter: /host\/functionDefinition(\.js|\.ts)?$/ }, (args) => {
        if (args.namespace === 'no-register') return undefined;
        return { path: functionDefinitionPath, namespace: 'no-register' };
      });
      b.onLoad({ filter: /.*/, namespace: 'no-register' }, () => ({
        contents: [
          `export * from ${JSON.stringify(functionDefinitionPath)};`,
          'export function register() {}',
        ].join('\n'),
        resolveDir: dirname(functionDefinitionPath),
        loader: 'ts',
      }));
    },
  };
}

function functionFiles(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Source files of the bundle that belong to the local host or the emulator (must be none): src/local, the emulator
 * package (packages/local-azure, or its node_modules link), and mockttp, which only the emulator uses.
 */
function localSources(metafile) {
  const localDirs = [`src${sep}local${sep}`, `packages${sep}local-azure${sep}`, `@sql-key-rotation${sep}local-azure${sep}`, `node_modules${sep}mockttp${sep}`];
  return Object.keys(metafile.inputs).filter((p) => {
    const path = p.split('/').join(sep);
    return localDirs.some((dir) => path.includes(dir));
  });
}

/** node_modules packages that a bundle contains, with their byte counts in the output. */
function packagesIn(metafile) {
  const sizes = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = m ? m[1] : '(app)';
      sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes.entries()].sort((a, b) => b[1] - a[1]);
}

/**
 * Loads the built functions bundle in a child process (outside the worker, so nothing registers) and returns, per
 * function module, its FunctionDefinition-shaped exports: [[{ exportName, name, trigger }], ...].
 */
function readDefinitions(bundlePath) {
  const probe = `
    const { modules } = require(${JSON.stringify(bundlePath)});
    const defs = modules.map((m) => Object.entries(m)
      .filter(([, v]) => v && typeof v === 'object' && typeof v.name === 'string' && v.trigger && typeof v.handler === 'function')
      .map(([exportName, v]) => ({ exportName, name: v.name, trigger: v.trigger })));
    process.stdout.write(JSON.stringify(defs));
  `;
  const env = { ...process.env };
  delete env.FUNCTIONS_WORKER_RUNTIME;
  const out = execFileSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
  return JSON.parse(out);
}

/** Moves every *.map under `from` to the same relative path under `to`. */
function moveSourceMaps(from, to) {
  rmSync(to, { recursive: true, force: true });
  for (const f of readdirSync(from, { recursive: true }).map(String)) {
    if (!f.endsWith('.map')) continue;
    mkdirSync(dirname(join(to, f)), { recursive: true });
    renameSync(join(from, f), join(to, f));
  }
}

function dirSize(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

/**
 * Builds the bundle. Returns { outDir, definitions, files, bytes, packages, inputs }.
 * @param {{ out: string, functions: string, quiet?: boolean }} options
 */
export async function bundle(options) {
  const { out, functions: functionsDir } = options;
  const log = options.quiet ? () => {} : (msg) => console.log(msg);
  const functionDefinitionPath = join(root, 'src', 'functionsHost', 'functionDefinition.ts');

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const entries = functionFiles(functionsDir);
  if (entries.length === 0) throw new Error(`no function files in ${functionsDir}`);

  const definitions = [];
  const packages = {};
  /** Repository files (outside node_modules) compiled into any bundle. */
  const inputs = new Set();
  const collectInputs = (metafile) => {
    for (const input of Object.keys(metafile.inputs)) {
      const path = input.replace(/^[a-z-]+:/, '');
      if (!path.includes('node_modules')) inputs.add(relative(root, resolve(root, path)).split(sep).join('/'));
    }
  };

  // One bundle of every function module, loaded on the first invocation of any trigger: the functions share one
  // composition root (one credential, one set of clients per process), and the SDKs are parsed once.
  const functionsFile = join(out, 'functions.js');
  const functionsSource = [
    ...entries.map((entry, i) => `import * as m${i} from ${JSON.stringify(entry)};`),
    `export const modules = [${entries.map((_e, i) => `m${i}`).join(', ')}];`,
  ].join('\n');
  const result = await build({
    ...common,
    stdin: { contents: functionsSource, resolveDir: functionsDir, sourcefile: 'functions-entry.ts', loader: 'ts' },
    outfile: functionsFile,
    plugins: [noRegisterPlugin(functionDefinitionPath)],
  });
  const local = localSources(result.metafile);
  if (local.length > 0) throw new Error(`the functions bundle contains local host or emulator code: ${local.join(', ')}`);
  packages['functions'] = packagesIn(result.metafile);
  collectInputs(result.metafile);
  readDefinitions(functionsFile).forEach((defs, i) => {
    const base = relative(functionsDir, entries[i]).replace(/\.ts$/, '');
    if (defs.length !== 1) throw new Error(`${base}.ts must export exactly one FunctionDefinition, found ${defs.length}`);
    definitions.push({ ...defs[0], module: i });
  });

  // The entry: register each definition with a handler that loads its bundle on first use.
  const entrySource = [
    `import { register } from ${JSON.stringify(functionDefinitionPath)};`,
    'const definitions = [',
    ...definitions.map(
      (d) =>
        `  { name: ${JSON.stringify(d.name)}, trigger: ${JSON.stringify(d.trigger)}, ` +
        `load: () => require('./functions.js').modules[${d.module}][${JSON.stringify(d.exportName)}] },`,
    ),
    '];',
    'for (const d of definitions) {',
    '  let loaded;',
    '  register({ name: d.name, trigger: d.trigger, handler: (input, context) => (loaded ??= d.load()).handler(input, context) });',
    '}',
    '/** Names and triggers of the registered functions (for tests and diagnostics). */',
    'export const functionDefinitions = definitions.map(({ name, trigger }) => ({ name, trigger }));',
    '/** Loads the functions bundle now (what an instance holds after its first invocation). */',
    'export function loadAll() { return definitions.map((d) => d.load()); }',
  ].join('\n');
  const entryResult = await build({
    ...common,
    stdin: { contents: entrySource, resolveDir: root, sourcefile: 'bundle-entry.ts', loader: 'ts' },
    outfile: join(out, 'index.js'),
    external: [...EXTERNAL, './functions.js'],
  });
  const localInEntry = localSources(entryResult.metafile);
  if (localInEntry.length > 0) throw new Error(`entry bundles local host or emulator code: ${localInEntry.join(', ')}`);
  packages['index'] = packagesIn(entryResult.metafile);
  collectInputs(entryResult.metafile);

  moveSourceMaps(out, `${out}.sourcemaps`);
  copyFileSync(join(root, 'host.json'), join(out, 'host.json'));
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify(
      {
        name: 'sql-tde-key-rotation-bundle',
        version: '0.0.0',
        private: true,
        description: 'Deployment bundle generated by scripts/bundle.mjs; do not edit.',
        main: 'index.js',
        engines: { node: '>=20' },
      },
      null,
      2,
    )}\n`,
  );

  const files = readdirSync(out, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(out, f)).isFile())
    .sort();
  const bytes = dirSize(out);
  log(`bundle: ${relative(root, out) || out} (${(bytes / 1024).toFixed(1)} KiB, ${files.length} files)`);
  for (const f of files) log(`  ${f.padEnd(40)} ${(statSync(join(out, f)).size / 1024).toFixed(1)} KiB`);
  for (const [name, pkgs] of Object.entries(packages)) {
    const top = pkgs
      .filter(([p]) => p !== '(app)')
      .slice(0, 8)
      .map(([p, b]) => `${p} ${(b / 1024).toFixed(0)}K`);
    log(`  ${name}: ${top.join(', ') || 'no package'}`);
  }
  return { outDir: out, definitions, files, bytes, packages, inputs: [...inputs].sort() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  bundle({ ...args, quiet: args.quiet || args.json })
    .then((result) => {
      if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    })
    .catch((err) => {
      console.error(`bundle failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
