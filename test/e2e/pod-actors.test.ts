/**
 * Past the pod to the people, end to end on generated bundles with kubectl users, CI deploys through a chained
 * deploy role and a planted exec-then-read-secrets attack (generator option `k8sActors`): the targets of the issue
 * on every bundle — ≥ 95 % of deploys and execs on the event's pod listed with the right person, every planted
 * exec-driven call attributed to its person, fewer than 1 in 1,000 calls given an `actor` wrongly — and the
 * detections, the reverse pivot and the table that keeps it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBundle } from '../generator';
import type { TruthRecord } from '../generator';
import { scoreActors } from '../generator/actor-accuracy';
import type { ActorsTruth } from '../generator/k8s-people';
import { openCase } from '../../electron/engine/db/open';
import { ingestEvidence } from '../../electron/engine/ingest/ingest';
import { correlate } from '../../electron/engine/chain/correlate';
import { CaseQueries } from '../../electron/engine/case/queries';
import { actorTimeline } from '../../electron/engine/k8s/actor-pivot';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function build(seed: number) {
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-actors-'));
  dirs.push(dir);
  const g = generateBundle({ outDir: join(dir, 'bundle'), events: 3000, seed, k8s: true, k8sActors: true, hours: 6 });
  const db = openCase(join(dir, 'case.db'));
  await ingestEvidence(db, [g.outDir], { workers: 0 });
  correlate(db);
  const q = new CaseQueries(db);
  const records = [...q.attributions()];
  const truth = new Map(readFileSync(g.truthPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TruthRecord).map((t) => [t.eventID, t]));
  const actors = JSON.parse(readFileSync(g.k8s!.actorsPath!, 'utf8')) as ActorsTruth;
  return { g, db, q, records, truth, actors };
}

describe.each([7101, 7102, 7103])('seed %i with kubectl users, CI deploys and an exec attack', (seed) => {
  let c: Awaited<ReturnType<typeof build>>;

  it('lists deploys and execs with the right person, attributes every exec-driven call, and almost never a wrong actor', async () => {
    c = await build(seed);
    const s = scoreActors(c.records, c.truth, c.actors);
    const detail = `${JSON.stringify({ ...s, examples: undefined })}\n${s.examples.join('\n')}`;
    expect(c.actors.attack, 'the attack was planted').not.toBeNull();
    expect(s.expectedDeploys, detail).toBeGreaterThan(0);
    expect(s.expectedExecs, detail).toBeGreaterThan(0);
    expect(s.listedRight / s.expected, detail).toBeGreaterThanOrEqual(0.95);
    expect(c.actors.podSessionAttack, 'the exec into a Pod Identity pod was planted').toBeDefined();
    expect(s.planted, detail).toBeGreaterThanOrEqual(8);
    expect(s.plantedRight, detail).toBe(s.planted);
    expect(s.wrongActor / s.calls, detail).toBeLessThan(0.001);
    expect(s.untouched, detail).toBeGreaterThan(100);
    expect(s.untouchedWithActor, detail).toBe(0);
  }, 240_000);

  it('names the CI IAM user behind a deploy through the chained deploy role, and the SSO user behind an exec', () => {
    const ci = c.g.accounts.security;
    const deploys = c.records.flatMap((r) => r.podActors ?? []).filter((a) => a.action === 'deploy' && a.principal?.includes('github-actions-deployer'));
    expect(deploys.length).toBeGreaterThan(0);
    expect(deploys[0]!.principal).toBe(`arn:aws:iam::${ci}:user/ci/github-actions-deployer`);
    expect(deploys[0]!.confidence).toBe('proven');
    expect(deploys[0]!.why).toMatch(/issued by AssumeRole .*role chaining/);
    expect(deploys[0]!.target).toMatch(/^deployment .+ → replicaset /);
    const execs = c.records.flatMap((r) => r.podActors ?? []).filter((a) => a.action === 'exec');
    expect(execs.length).toBeGreaterThan(0);
    for (const e of execs) expect(e.principal).toMatch(/@example\.com via IAM Identity Center \(AWSReservedSSO_/);
  });

  it('flags the exec-driven calls exec-then-credential-use, names the exec session, and never proves an actor', () => {
    const planted = new Set(c.actors.execDriven.map((x) => x.eventID));
    const flagged = c.records.filter((r) => r.flags?.includes('exec-then-credential-use'));
    expect(flagged.length).toBeGreaterThanOrEqual(planted.size);
    for (const r of flagged) expect(planted.has(r.eventID), `${r.eventID} ${r.eventName} ${JSON.stringify(r.actor)} ${JSON.stringify(c.truth.get(r.eventID))}`).toBe(true);
    const one = flagged.find((r) => r.actor?.auditID === c.actors.attack!.auditID)!;
    expect(one, 'a call of the exec-and-exchange attack').toBeDefined();
    expect(flagged.some((r) => r.actor?.auditID === c.actors.podSessionAttack!.auditID), 'a call of the exec into the Pod Identity pod').toBe(true);
    expect(one.flagReasons!.find((f) => f.flag === 'exec-then-credential-use')!.detail).toContain(c.actors.attack!.auditID);
    for (const r of c.records) if (r.actor) expect(['inferred', 'ambiguous']).toContain(r.actor.confidence);
    // The JSON Lines writer splices each subject's part: it must equal the records item by item.
    const lines = [...c.q.attributionLines()];
    expect(lines).toEqual(c.records.map((r) => JSON.stringify(r) + '\n'));
  });

  it('flags the exchange of a token a person minted, and its session, human-minted-token naming the person', () => {
    const m = c.actors.humanMint!;
    const planted = new Set(c.records.filter((r) => c.truth.get(r.eventID)?.flags?.includes('human-minted-token')).map((r) => r.eventID));
    expect(planted.size).toBeGreaterThanOrEqual(3);
    const flagged = c.records.filter((r) => r.flags?.includes('human-minted-token'));
    expect(new Set(flagged.map((r) => r.eventID))).toEqual(planted);
    const exchange = flagged.find((r) => r.eventName === 'AssumeRoleWithWebIdentity')!;
    const why = exchange.flagReasons!.find((f) => f.flag === 'human-minted-token')!.detail;
    expect(why).toContain(m.auditID);
    expect(why).toContain(m.person);
    expect(why).toContain(m.serviceAccount);
  });

  it('reverse pivot: the attacker in AWS and in Kubernetes, in one timeline', () => {
    const person = c.actors.attack!.person;
    const t = actorTimeline(c.db, person);
    expect(t.principals.some((p) => p.includes(person))).toBe(true);
    const k8s = t.entries.filter((e) => e.kind === 'kubernetes');
    expect(k8s.some((e) => e.id === c.actors.attack!.auditID && e.what.startsWith('exec'))).toBe(true);
    const aws = new Set(t.entries.filter((e) => e.kind === 'aws').map((e) => e.id));
    for (const x of c.actors.execDriven) expect(aws.has(x.eventID), x.eventID).toBe(true);
    // Ordered by time.
    for (let i = 1; i < t.entries.length; i++) expect(t.entries[i]!.ms).toBeGreaterThanOrEqual(t.entries[i - 1]!.ms);
  });
});
