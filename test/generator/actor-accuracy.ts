/**
 * Scores `podActors` and `actor` of a case's attribution records against a bundle generated with `k8sActors`
 * (`<truth>.actors.json`, k8s-people.ts), as the targets of the pod-actors issue put it:
 * - deploys and execs on the event's (true) pod, up to the event's time, listed with the right person (≥ 95 %);
 * - every planted exec-driven call attributed to its person;
 * - fewer than 1 in 1,000 calls given an `actor` wrongly (calls of pods nobody touched included).
 */
import type { AttributionRecord } from '../../shared/attribution';
import type { ActorsTruth } from './k8s-people';
import type { TruthRecord } from './truth';

export interface ActorScore {
  /** (event, deploy or exec) pairs the truth expects listed: on the event's true pod, before the event. */
  expected: number;
  listedRight: number;
  /** … by kind. */
  expectedDeploys: number;
  expectedExecs: number;
  /** Planted exec-driven calls, and those whose `actor` names their person. */
  planted: number;
  plantedRight: number;
  /** Calls (records with a truth line) and those given an actor wrongly (no person behind them, or another one). */
  calls: number;
  wrongActor: number;
  /** Calls of pods no one exec'd into, and those given any actor. */
  untouched: number;
  untouchedWithActor: number;
  examples: string[];
}

export function scoreActors(attributions: Iterable<AttributionRecord>, truth: ReadonlyMap<string, TruthRecord>, actors: ActorsTruth): ActorScore {
  const s: ActorScore = { expected: 0, listedRight: 0, expectedDeploys: 0, expectedExecs: 0, planted: 0, plantedRight: 0, calls: 0, wrongActor: 0, untouched: 0, untouchedWithActor: 0, examples: [] };
  const execsByPod = new Map<string, typeof actors.actions>();
  const deploysByRs = new Map<string, typeof actors.actions>();
  for (const a of actors.actions) {
    if (a.action === 'exec' && a.podUid) execsByPod.set(a.podUid, [...(execsByPod.get(a.podUid) ?? []), a]);
    if (a.action === 'deploy' && a.replicaSet) deploysByRs.set(`${a.namespace}/${a.replicaSet}`, [...(deploysByRs.get(`${a.namespace}/${a.replicaSet}`) ?? []), a]);
  }
  const driven = new Map(actors.execDriven.map((x) => [x.eventID, x.person]));
  for (const rec of attributions) {
    const t = truth.get(rec.eventID);
    if (!t) continue;
    s.calls++;
    const ms = Date.parse(rec.eventTime);
    const person = driven.get(rec.eventID) ?? null;
    const got = rec.actor ?? null;
    if (person) {
      s.planted++;
      if (got && got.principal.includes(person)) s.plantedRight++;
      else if (s.examples.length < 8) s.examples.push(`planted ${rec.eventID} ${rec.eventName}: actor ${JSON.stringify(got)}, pod ${rec.confidence.pod} ${rec.pod?.name}`);
    }
    if (got && (!person || !got.principal.includes(person))) {
      s.wrongActor++;
      if (s.examples.length < 8) s.examples.push(`wrong actor on ${rec.eventID} ${rec.eventName} (${rec.pod?.name}): ${got.principal}`);
    }
    if (!t.pod) continue;
    const execs = execsByPod.get(t.pod.uid) ?? [];
    if (execs.length === 0 && t.cluster && rec.namespace) {
      s.untouched++;
      if (got) s.untouchedWithActor++;
    }
    const rs = /^(.+)-[a-z0-9]{5}$/.exec(t.pod.name)?.[1];
    const want = [
      ...(t.namespace && rs ? (deploysByRs.get(`${t.namespace}/${rs}`) ?? []) : []),
      ...execs.filter((e) => e.startMs <= ms),
    ];
    for (const w of want) {
      s.expected++;
      if (w.action === 'deploy') s.expectedDeploys++;
      else s.expectedExecs++;
      const listed = (rec.podActors ?? []).find((p) => p.auditID === w.auditID);
      if (listed && listed.principal?.includes(w.person)) s.listedRight++;
      else if (s.examples.length < 8) s.examples.push(`${w.action} ${w.auditID} by ${w.person} not listed on ${rec.eventID} (pod ${rec.confidence.pod} ${rec.pod?.name}, truth ${t.pod.name}): ${JSON.stringify(listed ?? null)}`);
    }
  }
  return s;
}
