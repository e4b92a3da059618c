/**
 * Scores a case's attribution records against a generated bundle's ground truth: the pod-level answers for the
 * audited cluster's IRSA events, and the detections. Shared by the many-seed end-to-end test and
 * `scripts/accuracy.mjs` (which prints the same figures over more seeds, next to their targets).
 */
import type { AttributionRecord } from '../../shared/attribution';
import type { TruthRecord } from './truth';

export interface AccuracyScore {
  /** IRSA events of the audited cluster whose pod the evidence can establish (truth `expect.pod` inferable). */
  irsa: number;
  /** … named (`inferred` or `proven`) and right. */
  right: number;
  /** … named and wrong: the worst answer. */
  wrong: number;
  /** … named while `proven` and wrong (must never happen). */
  wrongProven: number;
  ambiguous: number;
  /** … ambiguous answers that list the true pod. */
  ambiguousListsTruth: number;
  /** … no pod at all. */
  none: number;
  /** Flagged events, and those that belong to a planted attack (or carry a flag the truth expects). */
  flagged: number;
  flaggedRight: number;
  /** Calls made by planted attacks, and those flagged. */
  attackCalls: number;
  attackCallsFlagged: number;
  /** Planted detections (truth `flags`) that did not fire. */
  missed: { eventID: string; flag: string }[];
  /** The first few wrong answers, to debug. */
  examples: string[];
}

export function scoreAttributions(attributions: Iterable<AttributionRecord>, truth: ReadonlyMap<string, TruthRecord>): AccuracyScore {
  const s: AccuracyScore = {
    irsa: 0, right: 0, wrong: 0, wrongProven: 0, ambiguous: 0, ambiguousListsTruth: 0, none: 0,
    flagged: 0, flaggedRight: 0, attackCalls: 0, attackCallsFlagged: 0, missed: [], examples: [],
  };
  for (const a of attributions) {
    const t = truth.get(a.eventID);
    if (!t) continue;
    const got = new Set<string>(a.flags ?? []);
    const want = new Set<string>(t.flags ?? []);
    if (got.size > 0) {
      s.flagged++;
      if (t.attack || [...got].some((f) => want.has(f))) s.flaggedRight++;
    }
    if (t.attack) {
      s.attackCalls++;
      if (got.size > 0) s.attackCallsFlagged++;
    }
    for (const f of want) if (!got.has(f)) s.missed.push({ eventID: a.eventID, flag: f });
    if (t.mechanism !== 'irsa' || t.expect.pod !== 'inferable' || !t.pod) continue;
    s.irsa++;
    const c = a.confidence.pod;
    if (c === 'proven' || c === 'inferred') {
      if (a.pod?.name === t.pod.name) s.right++;
      else {
        s.wrong++;
        if (c === 'proven') s.wrongProven++;
        if (s.examples.length < 5) s.examples.push(`${a.eventID}: ${c} ${a.pod?.name ?? '?'}, truth ${t.pod.name}`);
      }
    } else if (c === 'ambiguous') {
      s.ambiguous++;
      if (a.candidates.some((x) => x.pod?.name === t.pod!.name)) s.ambiguousListsTruth++;
      else if (s.examples.length < 5) s.examples.push(`${a.eventID}: ambiguous without ${t.pod.name}`);
    } else s.none++;
  }
  return s;
}

/** The targets, per bundle. */
export const TARGETS = {
  right: 0.95,
  ambiguousListsTruth: 0.99,
  namedRight: 0.995,
  flagPrecision: 0.9,
  attackRecall: 0.8,
} as const;

export function rates(s: AccuracyScore): { right: number; ambiguousListsTruth: number; namedRight: number; flagPrecision: number; attackRecall: number } {
  const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);
  return {
    right: ratio(s.right, s.irsa),
    ambiguousListsTruth: ratio(s.ambiguousListsTruth, s.ambiguous),
    namedRight: ratio(s.right, s.right + s.wrong),
    flagPrecision: ratio(s.flaggedRight, s.flagged),
    attackRecall: ratio(s.attackCallsFlagged, s.attackCalls),
  };
}
