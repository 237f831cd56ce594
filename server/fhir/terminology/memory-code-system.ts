/**
 * A code system held in memory: the concepts of a CodeSystem resource indexed by code, with its is-a hierarchy
 * from the nesting of `concept` and from the `parent` / `child` properties (R4 code systems use both).
 * Built once per CodeSystem version (see terminology.ts for the cache).
 */
import type { CodeSystem, CodeSystemConcept } from '@medplum/fhirtypes';
import {
  filterWords,
  matchesWords,
  type Concept,
  type ConceptPage,
  type ConceptSearch,
  type ConceptSource,
  type CodeSystemInfo,
} from './concept-source.js';

type Node = { concept: Concept; parents: string[]; children: string[] };

export class MemoryCodeSystem implements ConceptSource {
  readonly info: CodeSystemInfo;
  /** Codes in code system order (depth first, as written). */
  private readonly order: string[] = [];
  private readonly nodes = new Map<string, Node>();
  private readonly caseFold: boolean;

  constructor(cs: CodeSystem) {
    this.caseFold = cs.caseSensitive === false;
    for (const c of cs.concept ?? []) this.add(c, undefined);
    for (const node of this.nodes.values()) {
      for (const p of node.concept.property ?? []) {
        const other = p.valueCode ?? p.valueString;
        if (!other) continue;
        if (p.code === 'parent') this.link(other, node.concept.code);
        if (p.code === 'child') this.link(node.concept.code, other);
      }
    }
    this.info = {
      url: cs.url ?? '',
      version: cs.version,
      name: cs.name,
      title: cs.title,
      content: cs.content ?? 'complete',
      caseSensitive: cs.caseSensitive !== false,
      count: cs.count ?? this.nodes.size,
    };
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Every code in code system order. */
  codes(): readonly string[] {
    return this.order;
  }

  lookup(code: string): Promise<Concept | undefined> {
    return Promise.resolve(this.node(code)?.concept);
  }

  lookupMany(codes: readonly string[]): Promise<Concept[]> {
    return Promise.resolve(codes.flatMap((c) => this.node(c)?.concept ?? []));
  }

  all(): Promise<Concept[]> {
    return Promise.resolve(this.order.map((c) => this.nodes.get(c)!.concept));
  }

  parents(code: string): Promise<string[]> {
    return Promise.resolve([...(this.node(code)?.parents ?? [])]);
  }

  children(code: string): Promise<string[]> {
    return Promise.resolve([...(this.node(code)?.children ?? [])]);
  }

  descendants(code: string): Promise<string[]> {
    return Promise.resolve(this.walk(code, (n) => n.children));
  }

  ancestors(code: string): Promise<string[]> {
    return Promise.resolve(this.walk(code, (n) => n.parents));
  }

  search({ text, below, includeSelf, offset, count }: ConceptSearch): Promise<ConceptPage> {
    const words = filterWords(text);
    let within: Set<string> | undefined;
    if (below !== undefined) {
      const top = this.node(below);
      within = new Set(top ? this.walk(below, (n) => n.children) : []);
      if (top && includeSelf) within.add(top.concept.code);
    }
    const found: Concept[] = [];
    let total = 0;
    for (const code of this.order) {
      if (within && !within.has(code)) continue;
      const concept = this.nodes.get(code)!.concept;
      if (!matchesWords(concept, words)) continue;
      if (total >= offset && found.length < count) found.push(concept);
      total++;
    }
    return Promise.resolve({ concepts: found, total });
  }

  private node(code: string): Node | undefined {
    return this.nodes.get(this.key(code));
  }

  private key(code: string): string {
    if (!this.caseFold || this.nodes.has(code)) return code;
    const lower = code.toLowerCase();
    for (const k of this.nodes.keys()) if (k.toLowerCase() === lower) return k;
    return code;
  }

  private walk(code: string, next: (n: Node) => string[]): string[] {
    const seen = new Set<string>();
    const start = this.node(code);
    if (!start) return [];
    const stack = [...next(start)];
    while (stack.length > 0) {
      const c = stack.pop()!;
      if (seen.has(c) || c === start.concept.code) continue;
      seen.add(c);
      const n = this.nodes.get(c);
      if (n) stack.push(...next(n));
    }
    return [...seen];
  }

  private add(c: CodeSystemConcept, parent: string | undefined): void {
    if (!c.code) return;
    let node = this.nodes.get(c.code);
    if (!node) {
      node = { concept: toConcept(c), parents: [], children: [] };
      this.nodes.set(c.code, node);
      this.order.push(c.code);
    }
    if (parent) this.link(parent, c.code);
    for (const child of c.concept ?? []) this.add(child, c.code);
  }

  private link(parent: string, child: string): void {
    const p = this.nodes.get(parent);
    const c = this.nodes.get(child);
    if (!p || !c || parent === child) return;
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }
}

function toConcept(c: CodeSystemConcept): Concept {
  const props = c.property ?? [];
  const flag = (name: string) => props.some((p) => p.code === name && p.valueBoolean === true);
  const status = props.find((p) => p.code === 'status')?.valueCode;
  return {
    code: c.code,
    ...(c.display !== undefined ? { display: c.display } : {}),
    ...(c.definition !== undefined ? { definition: c.definition } : {}),
    ...(c.designation ? { designation: c.designation } : {}),
    ...(c.property ? { property: c.property } : {}),
    ...(flag('notSelectable') || flag('abstract') ? { abstract: true } : {}),
    ...(flag('inactive') || status === 'retired' || status === 'deprecated' ? { inactive: true } : {}),
  };
}
