/**
 * Graph facts about a definition's steps: cycles, dangling dependencies and ancestry. Steps are
 * `{id, dependsOn?}`; order in the array means nothing, only the edges do.
 */

export interface GraphStep {
  id: string;
  dependsOn?: readonly string[] | undefined;
}

/**
 * One cycle per strongly connected knot, each as the ids along it (`a → b → a`), found with an
 * iterative depth-first search so a 200-step chain cannot overflow the stack.
 */
export function findCycles(steps: readonly GraphStep[]): string[][] {
  const deps = new Map(steps.map((s) => [s.id, (s.dependsOn ?? []).filter((d) => d !== undefined)]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  for (const root of deps.keys()) {
    if (state.has(root)) continue;
    const path: string[] = [];
    const stack: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    state.set(root, 'open');
    path.push(root);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const edges = deps.get(frame.id) ?? [];
      if (frame.next >= edges.length) {
        state.set(frame.id, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const to = edges[frame.next++]!;
      if (!deps.has(to)) continue; // dangling: reported separately
      const seen = state.get(to);
      if (seen === 'open') cycles.push([...path.slice(path.indexOf(to)), to]);
      else if (seen === undefined) {
        state.set(to, 'open');
        path.push(to);
        stack.push({ id: to, next: 0 });
      }
    }
  }
  return cycles;
}

/** Every step a step (transitively) depends on. Assumes no cycles. */
export function ancestorsOf(steps: readonly GraphStep[], id: string): Set<string> {
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn ?? []]));
  const out = new Set<string>();
  const todo = [...(deps.get(id) ?? [])];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (out.has(next) || !deps.has(next)) continue;
    out.add(next);
    todo.push(...(deps.get(next) ?? []));
  }
  return out;
}
