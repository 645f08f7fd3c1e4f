// Compares two V8 heap snapshots (e.g. the leak test's gc-1 and gc-2, written with
// FAULT_HEAPSNAPSHOT_DIR): objects by constructor, what grew in count and self size, largest
// first. `node tests/helpers/heap-diff.mjs before.heapsnapshot after.heapsnapshot [rows]`.
// With `--retainers <constructor>` it also prints, for a few objects of that constructor only
// in the second snapshot, the chain of retainers up to a GC root (what keeps them alive).
import { readFileSync } from 'node:fs';

function load(path) {
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const types = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const f = Object.fromEntries(meta.node_fields.map((n, i) => [n, i]));
  const e = Object.fromEntries(meta.edge_fields.map((n, i) => [n, i]));
  return { snap, nf, ef, types, edgeTypes, f, e };
}

function groups(h) {
  const { snap, nf, types, f } = h;
  const out = new Map();
  const ids = new Set();
  for (let i = 0; i < snap.nodes.length; i += nf) {
    const type = types[snap.nodes[i + f.type]];
    const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + f.name]] : `(${type})`;
    const key = `${type}:${name}`;
    const g = out.get(key) ?? { count: 0, size: 0 };
    g.count++;
    g.size += snap.nodes[i + f.self_size];
    out.set(key, g);
    ids.add(snap.nodes[i + f.id]);
  }
  return { out, ids };
}

function retainers(h, constructorName, onlyNew, limit = 3) {
  const { snap, nf, ef, types, edgeTypes, f, e } = h;
  const nodeCount = snap.nodes.length / nf;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0, edge = 0; n < nodeCount; n++) {
    firstEdge[n] = edge;
    edge += snap.nodes[n * nf + f.edge_count] * ef;
  }
  firstEdge[nodeCount] = snap.edges.length;
  const parents = new Map();
  for (let n = 0; n < nodeCount; n++) {
    for (let k = firstEdge[n]; k < firstEdge[n + 1]; k += ef) {
      const edgeType = edgeTypes[snap.edges[k + e.type]];
      if (edgeType === 'weak') continue;
      const to = snap.edges[k + e.to_node] / nf;
      const label = edgeType === 'element' || edgeType === 'hidden' ? `[${snap.edges[k + e.name_or_index]}]` : snap.strings[snap.edges[k + e.name_or_index]];
      if (!parents.has(to)) parents.set(to, []);
      parents.get(to).push({ from: n, label });
    }
  }
  const describe = (n) => `${types[snap.nodes[n * nf + f.type]]}:${snap.strings[snap.nodes[n * nf + f.name]].slice(0, 60)}`;
  let shown = 0;
  for (let n = 0; n < nodeCount && shown < limit; n++) {
    if (snap.strings[snap.nodes[n * nf + f.name]] !== constructorName) continue;
    if (onlyNew && !onlyNew(snap.nodes[n * nf + f.id])) continue;
    shown++;
    const chain = [describe(n)];
    const seen = new Set([n]);
    let cur = n;
    for (let depth = 0; depth < 14; depth++) {
      const ps = (parents.get(cur) ?? []).filter((p) => !seen.has(p.from));
      if (ps.length === 0) break;
      const p = ps[0];
      chain.push(`<-${p.label}- ${describe(p.from)}`);
      seen.add(p.from);
      cur = p.from;
    }
    console.log(chain.join('\n   '));
    console.log('');
  }
}

const args = process.argv.slice(2);
const ri = args.indexOf('--retainers');
const retainName = ri >= 0 ? args.splice(ri, 2)[1] : undefined;
const [a, b, rowsArg] = args;
const before = load(a);
const after = load(b);
const ga = groups(before);
const gb = groups(after);
const rows = [];
for (const [key, g] of gb.out) {
  const o = ga.out.get(key) ?? { count: 0, size: 0 };
  rows.push({ key, dCount: g.count - o.count, dSize: g.size - o.size, count: g.count, size: g.size });
}
rows.sort((x, y) => y.dSize - x.dSize);
const total = (g) => [...g.out.values()].reduce((n, v) => n + v.size, 0);
console.log(`self size: ${(total(ga) / 1e6).toFixed(1)} MB -> ${(total(gb) / 1e6).toFixed(1)} MB`);
for (const r of rows.slice(0, Number(rowsArg ?? 30))) {
  console.log(`${(r.dSize / 1e3).toFixed(0).padStart(8)} KB ${String(r.dCount).padStart(8)} objs  ${r.key.slice(0, 90)}`);
}
if (retainName) retainers(after, retainName, (id) => !ga.ids.has(id));
