/**
 * Every step the app shows (a graph edge, a line of the Steps list) lists exactly the records `podtrail trace` cites
 * for the hops behind it (trace.hops[].records), under one confidence word: the one the deciding hop earned.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { graphElements, type GraphEdgeData, type GraphElement } from '../../../renderer/src/model/graph';
import { Selected, Steps } from '../../../renderer/src/ui/GraphEvidence';
import type { TraceView } from '../../../shared/api';
import { iamUser, irsa, irsaAmbiguousPods, irsaInferredPod, missingIssuer, podIdentityBound, podIdentityChained } from '../fixtures';

const CONFIDENCES = ['proven', 'inferred', 'ambiguous', 'none'] as const;
const ALL = { podIdentityChained, irsa, iamUser, missingIssuer, irsaInferredPod, irsaAmbiguousPods, podIdentityBound };

const edges = (els: GraphElement[]) => els.filter((e) => e.group === 'edges').map((e) => e.data as GraphEdgeData);
const edge = (els: GraphElement[], source: string, target: string) => {
  const e = edges(els).find((x) => x.source === source && x.target === target);
  if (!e) throw new Error(`no edge ${source} -> ${target}: ${edges(els).map((x) => `${x.source}->${x.target}`).join(', ')}`);
  return e;
};
const rules = (t: TraceView, e: GraphEdgeData) => e.hops.map((i) => t.hops[i]!.rule);
/** The records an edge lists, as `kind:id`, in the order shown. */
const recordsOf = (t: TraceView, e: GraphEdgeData) => e.hops.flatMap((i) => t.hops[i]!.records.map((r) => `${r.kind}:${r.id}`));
const hopRecords = (t: TraceView, rule: string) => t.hops.filter((h) => h.rule === rule).flatMap((h) => h.records.map((r) => `${r.kind}:${r.id}`));
const words = (s: string) => s.split(/[\s·]+/).filter((w) => (CONFIDENCES as readonly string[]).includes(w));

/** The Selected pane of one edge, rendered to markup. */
function selectedMarkup(t: TraceView, els: GraphElement[], e: GraphEdgeData): string {
  const el = els.find((x) => x.group === 'edges' && x.data.id === e.id)!;
  return renderToStaticMarkup(createElement(Selected, { trace: t, el, expansions: new Map(), onClear: () => {}, onJump: () => {}, onExpand: () => {} }));
}
/** The `data-record-id`s of the `step-evidence` items in rendered markup, in order. */
function stepEvidenceIds(html: string): string[] {
  return [...html.matchAll(/<div [^>]*data-testid="step-evidence"[^>]*>/g)].map((m) => /data-kind="([^"]*)"/.exec(m[0])![1] + ':' + /data-record-id="([^"]*)"/.exec(m[0])![1]);
}

describe('step evidence: IRSA narrowed to one pod by the audit logs', () => {
  const t = irsaInferredPod();
  const els = graphElements(t);

  it('service account → pod lists the irsa-pod hop: create pods, binding, kubelet token, status with the pod IP, and the eks-auth call', () => {
    const e = edge(els, 'sa', 'pod');
    expect(rules(t, e)).toEqual(['irsa-pod']);
    expect(recordsOf(t, e)).toEqual(hopRecords(t, 'irsa-pod'));
    expect(recordsOf(t, e)).toEqual(['audit:aud-create', 'audit:aud-bind', 'audit:aud-token', 'audit:aud-status', 'event:eks-auth-1']);
    expect(e.confidence).toBe('inferred');
    expect(e.label).toBe('audit timeline\ninferred');
  });

  it('pod → node lists the scheduler binding, with the confidence it earned', () => {
    const e = edge(els, 'pod', 'node:i-0c701a3b9ce291cf3');
    expect(rules(t, e)).toEqual(['pod-identity-binding']);
    expect(recordsOf(t, e)).toEqual(['audit:aud-bind']);
    expect(e.confidence).toBe('inferred');
    expect(e.label).toBe('node binding\ninferred');
  });

  it('the key → service account step keeps only the web identity, not the pod and node hops', () => {
    expect(rules(t, edge(els, 'key:0:ASIAIRSA000000000000', 'sa'))).toEqual(['irsa-subject']);
  });

  it('renders one step-evidence item per cited record, each with its file, record index and SHA-256, under one confidence word', () => {
    const e = edge(els, 'sa', 'pod');
    const html = selectedMarkup(t, els, e);
    expect(html).not.toContain('No record establishes this step');
    expect(stepEvidenceIds(html)).toEqual(recordsOf(t, e));
    for (const r of t.hops.find((h) => h.rule === 'irsa-pod')!.records) {
      const p = r.provenance[0]!;
      expect(html).toContain(p.path);
      expect(html).toContain(`record #${p.recordIndex}`);
      expect(html).toContain(p.fileSha256);
    }
    expect(html.match(/class="conf conf-/g)).toHaveLength(1);
    expect(html).toContain('data-confidence="inferred"');
  });
});

describe('step evidence: IRSA left ambiguous between pods', () => {
  const t = irsaAmbiguousPods();
  const els = graphElements(t);

  it('every candidate pod edge lists the irsa-pod hop, inventory included', () => {
    for (const pod of ['api-a', 'api-b']) {
      const e = edge(els, 'sa', `pod:${pod}`);
      expect(e.kind).toBe('candidate');
      expect(e.confidence).toBe('ambiguous');
      expect(recordsOf(t, e)).toEqual(hopRecords(t, 'irsa-pod'));
      expect(recordsOf(t, e)).toContain('document:file:kubectl-get-pods.json#3da4fcd13af7');
    }
  });

  it('candidate node edges list the bindings the irsa-pod hop cites', () => {
    const e = edge(els, 'pod:api-a', 'node:i-0aaa');
    expect(rules(t, e)).toEqual(['irsa-pod']);
    const html = selectedMarkup(t, els, e);
    expect(stepEvidenceIds(html)).toEqual(hopRecords(t, 'irsa-pod'));
    expect(html).toContain('/b/k8s/kubectl-get-pods.json');
  });

  it('the key → service account step keeps only the web identity', () => {
    expect(rules(t, edge(els, 'key:0:ASIAIRSA000000000000', 'sa'))).toEqual(['irsa-subject']);
  });
});

describe('step evidence: Pod Identity node proven by the audit binding', () => {
  const t = podIdentityBound();
  const els = graphElements(t);
  const e = edge(els, 'pod', 'node:i-001fbd931f1ef01f9');

  it('pod → node is decided by the binding (proven) and also lists the eks-auth time match', () => {
    expect(rules(t, e)).toEqual(['pod-identity-binding', 'pod-identity-node']);
    expect(e.decisive).toBe(1);
    expect(e.confidence).toBe('proven');
    expect(e.label).toBe('node binding\nproven');
    expect(recordsOf(t, e)).toEqual(['audit:aud-bind', 'event:auth-1']);
  });

  it('reads one confidence word, and lists the binding first', () => {
    const html = selectedMarkup(t, els, e);
    expect(stepEvidenceIds(html)).toEqual(['audit:aud-bind', 'event:auth-1']);
    expect(html.match(/class="conf conf-/g)).toHaveLength(1);
    expect(html).toContain('data-confidence="proven"');
    expect(html).not.toMatch(/>[^<]*\binferred\b[^<]*</);
    const steps = renderToStaticMarkup(createElement(Steps, { elements: els, selected: null }));
    expect(steps).toContain('node binding · proven');
    expect(steps).not.toContain('eks-auth timing');
  });
});

describe('every step of every trace', () => {
  for (const [name, make] of Object.entries(ALL)) {
    it(`${name}: one confidence word per edge, the deciding hop's, and every hop on a step`, () => {
      const t = make();
      const els = graphElements(t);
      const placed = new Set(edges(els).flatMap((e) => e.hops));
      t.hops.forEach((_, i) => expect(placed.has(i), `hop ${i} (${t.hops[i]!.rule})`).toBe(true));
      for (const e of edges(els)) {
        expect(words(e.label), `${e.id}: ${e.label}`).toEqual([e.confidence]);
        expect(new Set(e.hops).size, e.id).toBe(e.hops.length);
        if (e.hops.length > 0) {
          expect(e.decisive, e.id).toBeGreaterThan(0);
          e.hops.slice(0, e.decisive).forEach((i) => expect(t.hops[i]!.confidence, `${e.id} hop ${i}`).toBe(e.confidence));
        }
        const html = selectedMarkup(t, els, e);
        const self = e.selfFields.length > 0 ? [`event:${t.event!.eventID}`] : [];
        expect(stepEvidenceIds(html), e.id).toEqual([...recordsOf(t, e), ...self]);
        expect(html.match(/class="conf conf-/g), e.id).toHaveLength(1);
      }
    });
  }
});
