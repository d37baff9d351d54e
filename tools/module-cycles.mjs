#!/usr/bin/env node
// Finds import circles between the modules of each Rust crate and between the browser app's
// ES modules: prints each circle and exits 1 when there is one.
//
// Usage: node tools/module-cycles.mjs [workspace root]   (default: the current folder)
//
// A Rust module is a file (`a.rs`, `a/mod.rs`); module A depends on B when A names a path
// into B (`use crate::b::X`, `super::X`, `b::X` for a child `b`, globs included). A path to
// an item that an ancestor only re-exports (`pub use b::X`) counts as a path into `b`, the
// way rustc resolves it. `mod b;` alone is not a dependency; test modules (`*_tests.rs`,
// `tests.rs`, `#[cfg(test)] mod … { … }`) are left out. A JS module depends on each module
// it imports or re-exports.

import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const RUST_CRATES = ['shared', 'service-kit', 'backend', 'frontend', 'loadgen'];
const JS_FOLDERS = ['frontend/public/js'];

function filesUnder(dir, suffix) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

// ---- Rust ----

function isTestFile(rel) {
  return /(^|\/)(tests|[a-z0-9_]+_tests)\.rs$/.test(rel) || rel.split('/').includes('tests');
}

function moduleOf(rel) {
  const parts = rel.replace(/\.rs$/, '').split('/');
  const last = parts[parts.length - 1];
  if (last === 'lib' || last === 'main') return parts.length === 1 ? (last === 'main' ? '<main>' : '') : null;
  if (last === 'mod') parts.pop();
  return parts.join('::');
}

function stripComments(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\/[^\n]*/g, ' ');
}

/** Removes `#[cfg(test)] mod name { … }` blocks and `#[cfg(test)] mod name;` lines. */
function stripTestModules(text) {
  let out = text;
  for (;;) {
    const m = /#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*([{;])/.exec(out);
    if (!m) return out;
    let end = m.index + m[0].length;
    if (m[1] === '{') {
      let depth = 1;
      while (end < out.length && depth > 0) {
        if (out[end] === '{') depth++;
        else if (out[end] === '}') depth--;
        end++;
      }
    }
    out = out.slice(0, m.index) + out.slice(end);
  }
}

/** Expands a use tree (`a::{b, c::{d, e}}`) into its paths. */
function expandUseTree(tree) {
  tree = tree.replace(/\s+/g, '');
  const open = tree.indexOf('{');
  if (open < 0) return [tree.replace(/ as \w+$/, '')];
  const prefix = tree.slice(0, open);
  const inner = tree.slice(open + 1, tree.lastIndexOf('}'));
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '{') depth++;
    else if (inner[i] === '}') depth--;
    else if (inner[i] === ',' && depth === 0) { parts.push(inner.slice(start, i)); start = i + 1; }
  }
  parts.push(inner.slice(start));
  return parts.filter(Boolean).flatMap((p) => expandUseTree(p).map((s) => (s === 'self' ? prefix.replace(/::$/, '') : prefix + s)));
}

function parseRustModule(text) {
  const code = stripTestModules(stripComments(text));
  const children = [...code.matchAll(/^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;/gm)].map((m) => m[1]);
  const uses = [];
  const reexports = new Map(); // name -> path
  for (const m of code.matchAll(/(^|[;{}\s])((?:pub(?:\([^)]*\))?\s+)?)use\s+([^;]+);/g)) {
    const isPub = m[2].trim().length > 0;
    for (let path of expandUseTree(m[3].replace(/\bas\s+\w+/g, (a) => a.replace(/\s+/, ' ')))) {
      const alias = / as (\w+)$/.exec(path);
      path = path.replace(/ as \w+$/, '');
      uses.push(path);
      if (isPub) reexports.set(alias ? alias[1] : path.split('::').pop(), path);
    }
  }
  const inline = [...code.replace(/(^|[;{}\s])(?:pub(?:\([^)]*\))?\s+)?use\s+[^;]+;/g, '$1').matchAll(/\b((?:crate|super|self)(?:::\w+)+)/g)].map((m) => m[1]);
  const defined = new Set([...code.matchAll(/\b(?:struct|enum|fn|trait|type|const|static|union|macro_rules!)\s+(\w+)/g)].map((m) => m[1]));
  return { code, children, uses, inline, reexports, defined };
}

function rustGraph(crateDir) {
  const src = join(crateDir, 'src');
  const modules = new Map();
  for (const file of filesUnder(src, '.rs')) {
    const rel = relative(src, file).split(sep).join('/');
    if (isTestFile(rel)) continue;
    const name = moduleOf(rel);
    if (name === null) continue;
    modules.set(name, { rel, ...parseRustModule(readFileSync(file, 'utf8')) });
  }
  const parentOf = (m) => (m.includes('::') ? m.slice(0, m.lastIndexOf('::')) : '');
  const isAncestor = (a, m) => a === '' || m === a || m.startsWith(a + '::');

  /** Absolute segments of `path` as written in module `from`, or null (external crate). */
  function absolute(from, path) {
    const segs = path.split('::').filter(Boolean);
    let base;
    if (segs[0] === 'crate') { base = []; segs.shift(); }
    else if (segs[0] === 'self') { base = from ? from.split('::') : []; segs.shift(); }
    else if (segs[0] === 'super') {
      base = from ? from.split('::') : [];
      while (segs[0] === 'super') { base.pop(); segs.shift(); }
    } else {
      const here = modules.get(from);
      if (!here || !here.children.includes(segs[0])) return null;
      base = from ? from.split('::') : [];
    }
    return [...base, ...segs];
  }

  /** The module a path leads into, following ancestors' re-exports. */
  function target(from, path, depth = 0) {
    const segs = absolute(from, path);
    if (!segs) return null;
    let mod = '', i = 0;
    while (i < segs.length) {
      const next = mod ? `${mod}::${segs[i]}` : segs[i];
      if (!modules.has(next)) break;
      mod = next; i++;
    }
    const item = segs[i];
    const info = modules.get(mod);
    if (depth < 8 && item && item !== '*' && info && !info.defined.has(item) && info.reexports.has(item)) {
      const via = target(mod, info.reexports.get(item), depth + 1);
      if (via !== null) return via;
    }
    return mod;
  }

  const edges = new Map([...modules.keys()].map((m) => [m, new Map()]));
  for (const [name, info] of modules) {
    const paths = [...info.uses, ...info.inline];
    for (const child of info.children) {
      for (const m of info.code.matchAll(new RegExp(`(?<![\\w:])${child}::\\w+`, 'g'))) paths.push(m[0]);
    }
    for (const path of paths) {
      const to = target(name, path);
      if (to === null || to === name || !modules.has(to)) continue;
      // A module's own ancestors are reached only when they define the item themselves.
      if (!edges.get(name).has(to)) edges.get(name).set(to, path);
    }
    void isAncestor; void parentOf;
  }
  return { label: (m) => (m === '' ? 'lib.rs' : m === '<main>' ? 'main.rs' : m), edges };
}

// ---- JavaScript ----

function jsGraph(dir) {
  const edges = new Map();
  for (const file of filesUnder(dir, '.js')) {
    if (file.endsWith('.test.js')) continue;
    const rel = relative(dir, file).split(sep).join('/');
    const code = stripComments(readFileSync(file, 'utf8').replace(/(['"])(\.{1,2}\/[^'"]+)\1/g, '`$2`'));
    const deps = new Map();
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)`(\.{1,2}\/[^`]+)`/g)) {
      const to = relative(dir, resolve(dirname(file), m[1])).split(sep).join('/');
      if (to !== rel) deps.set(to, m[1]);
    }
    edges.set(rel, deps);
  }
  return { label: (m) => m, edges };
}

// ---- circles ----

function stronglyConnected(edges) {
  let index = 0;
  const stack = [], on = new Set(), idx = new Map(), low = new Map(), groups = [];
  function visit(v) {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of (edges.get(v) ?? new Map()).keys()) {
      if (!edges.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const group = [];
      let w;
      do { w = stack.pop(); on.delete(w); group.push(w); } while (w !== v);
      if (group.length > 1) groups.push(group);
    }
  }
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return groups;
}

/** One circle through `start` inside `group`, as a list of modules. */
function circleThrough(start, group, edges) {
  const inGroup = new Set(group);
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of edges.get(v).keys()) {
      if (!inGroup.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = prev.get(v); p !== null; p = prev.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start];
}

let circles = 0;
function report(where, { label, edges }) {
  for (const group of stronglyConnected(edges)) {
    circles++;
    const circle = circleThrough(group.sort()[0], group, edges);
    const steps = circle.slice(1).map((to, i) => `${label(to)} (${edges.get(circle[i]).get(to)})`);
    console.log(`${where}: ${label(circle[0])} -> ${steps.join(' -> ')}`);
    if (group.length > circle.length - 1) console.log(`  (${group.length} modules in this knot: ${group.map(label).join(', ')})`);
  }
}

for (const crate of RUST_CRATES) {
  const dir = join(root, crate);
  if (existsSync(join(dir, 'src'))) report(crate, rustGraph(dir));
}
for (const folder of JS_FOLDERS) {
  const dir = join(root, folder);
  if (existsSync(dir)) report(folder, jsGraph(dir));
}
process.exit(circles ? 1 : 0);
