/**
 * PodTrail test-fixture generator: a realistic offline evidence bundle (CloudTrail S3 layout, organization
 * trail copies, lookup-events export, JSON Lines, digest, describe-cluster output) plus ground truth,
 * deterministic for a seed and streamed to disk so a million events stay in bounded memory.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CiActor, DroppedActor, HumanActor, NodeActor, ServiceActor } from './actors';
import { BundleWriter } from './bundle';
import { describeClusterFile, lookupEventsBody, writeDigest } from './extras';
import { K8sAttacks, k8sTruthMap } from './k8s-attacks';
import { K8sLog } from './k8s-model';
import { K8sPeople } from './k8s-people';
import { writeK8s } from './k8s-output';
import { PodActor } from './pods';
import { Rng } from './rng';
import { Scenario, type Actor } from './scenario';
import { ClusterFactActor, stolenNodeCreds, stolenTokenAttack } from './specials';
import { buildWorld, type World } from './world';

export type { TruthRecord, ExpectLevel, Flag } from './truth';

export interface GenerateOptions {
  /** Evidence folder (created). Only evidence is written inside it. */
  outDir: string;
  /** Approximate number of CloudTrail records (all of them, STS included); the result lands within ±5 %. */
  events: number;
  seed: string | number;
  /** Default: `<outDir>/../<basename(outDir)>.truth.jsonl`. Must be outside `outDir`. */
  truthPath?: string;
  /** Scenario start (UTC). Default 2026-03-02T00:00:00Z. */
  startTime?: string | number | Date;
  /** Scenario length in hours (default 6). The event budget may end it a little earlier. */
  hours?: number;
  /** Write organization-trail copies of some workloads-account files (default true). */
  orgTrail?: boolean;
  /** Write `lookup-events-<acct>.json` (default true). */
  lookupEvents?: boolean;
  /**
   * Kubernetes evidence for prod-east (default false): EKS audit logs in three delivery formats under `k8s/`,
   * kubectl / EC2 / EKS inventories, pod IPs as call sources (VPC endpoints), more planted attacks, truth lines
   * with `flags` / `attack` and `<truthPath>.attacks.json`. Off, the bundle is byte-identical to earlier versions.
   */
  k8s?: boolean;
  /** k8s option: add the kubelets' node lease renewals (every 10 s per node), the bulk of real audit logs. */
  k8sLeases?: boolean;
  /**
   * k8s option: people and pipelines in the audit log (k8s-people.ts): kubectl users on Identity Center sessions,
   * CI deploys through a chained deploy role, a planted exec-then-read-secrets attack; truth in
   * `<truthPath>.actors.json`. Off (default), bundles are byte-identical to earlier versions.
   */
  k8sActors?: boolean;
}

export interface GenerateResult {
  outDir: string;
  truthPath: string;
  /** CloudTrail records generated (each has one truth line; duplicates in the org trail / lookup export not counted). */
  records: number;
  logFiles: number;
  orgTrailFiles: number;
  lookupEvents: number;
  jsonlRecords: number;
  digestFile: string | null;
  startTime: string;
  accounts: Record<'workloads' | 'data' | 'security', string>;
  /** k8s option: audit events written (each once; some files overlap), the evidence files, the attacks file. */
  k8s?: { cluster: string; auditEvents: number; files: string[]; snapshotTime: string; attacksPath: string; actorsPath?: string };
  clusters: { name: string; region: string; arn: string; oidcId: string; factSource: 'trail' | 'describe-cluster-file' }[];
}

/** Class shares of the event budget (fractions of API events). */
const MIX = { irsa: 0.3, pi: 0.25, node: 0.15, sso: 0.08, ci: 0.07, svc: 0.08, dropped: 0.03 };
/** Rates aim slightly above the budget; the run stops when the budget is reached. */
const HEADROOM = 1.06;

const DEFAULT_START = '2026-03-02T00:00:00Z';

export function defaultTruthPath(outDir: string): string {
  const abs = path.resolve(outDir);
  return path.join(path.dirname(abs), `${path.basename(abs)}.truth.jsonl`);
}

function buildActors(ctx: Scenario, events: number, attacks: K8sAttacks | null, people: K8sPeople | null = null): Actor[] {
  const w = ctx.world;
  const R = (events * HEADROOM) / w.spanMs;
  const actors: Actor[] = [];
  const podActors: PodActor[] = [];
  const byClass = (variants: string[]): typeof w.workloads => w.workloads.filter((x) => variants.includes(x.variant) && !x.daemonSet);
  const addPods = (list: typeof w.workloads, share: number): PodActor[] => {
    const total = list.reduce((s, x) => s + x.weight, 0);
    const out: PodActor[] = [];
    for (const x of list) {
      for (let i = 0; i < x.replicas; i++) out.push(new PodActor(ctx, x, (share * R * x.weight) / total / x.replicas, null));
    }
    actors.push(...out);
    podActors.push(...out);
    return out;
  };
  addPods(byClass(['irsa']), MIX.irsa);
  const pi = addPods(byClass(['pi', 'pi-notags', 'pi-target']), MIX.pi);
  for (const p of pi) p.peers = pi.filter((o) => o !== p && o.w.cluster === p.w.cluster);
  addPods(byClass(['node']), MIX.node * 0.4);
  const nodes = w.clusters.flatMap((c) => c.nodes);
  const aliveAtOnce = Math.max(1, nodes.length - w.clusters.length);
  for (const n of nodes) {
    actors.push(new NodeActor(ctx, n, (MIX.node * 0.35 * R) / aliveAtOnce));
    const ds = w.workloads.find((x) => x.daemonSet && x.cluster === n.cluster);
    if (ds) actors.push(new PodActor(ctx, ds, (MIX.node * 0.25 * R) / aliveAtOnce, n));
  }
  const humanWeight = w.humans.reduce((s, h) => s + h.weight, 0);
  const humans = w.humans.map((h) => new HumanActor(ctx, h, (MIX.sso * R * h.weight) / humanWeight));
  actors.push(...humans);
  actors.push(new CiActor(ctx, MIX.ci * R));
  actors.push(new ServiceActor(ctx, MIX.svc * R));
  const dropWeight = w.dropped.reduce((s, d) => s + d.weight, 0);
  for (const d of w.dropped) {
    const activeMs = Math.max(60_000, Math.min(d.until, w.t0 + w.spanMs) - w.t0);
    actors.push(new DroppedActor(ctx, d, (MIX.dropped * R * w.spanMs * (d.weight / dropWeight)) / activeMs));
  }
  actors.push(new ClusterFactActor(ctx, humans[0]!, 0));
  actors.push(stolenTokenAttack(attacks ? attacks.stolenTokenCtx() : ctx, w.fileCluster));
  actors.push(stolenNodeCreds(attacks ? attacks.stolenNodeCtx() : ctx, w.factCluster));
  if (attacks) actors.push(...attacks.actors(podActors, humans[0]!));
  if (people) actors.push(...people.actors(podActors, humans));
  return actors;
}

function parseStart(v: GenerateOptions['startTime']): number {
  const t = v === undefined ? Date.parse(DEFAULT_START) : v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t)) throw new Error(`invalid startTime: ${String(v)}`);
  return Math.floor(t / 1000) * 1000;
}

export function generateBundle(opts: GenerateOptions): GenerateResult {
  if (!(opts.events > 0)) throw new Error('events must be a positive number');
  const outDir = path.resolve(opts.outDir);
  const truthPath = path.resolve(opts.truthPath ?? defaultTruthPath(outDir));
  if (truthPath === outDir || truthPath.startsWith(outDir + path.sep)) throw new Error('truthPath must be outside outDir (the evidence folder holds only evidence)');
  const t0 = parseStart(opts.startTime);
  const spanMs = Math.round((opts.hours ?? 6) * 3_600_000);
  const base = new Rng(opts.seed);
  const world: World = buildWorld(base.fork('world'), t0, spanMs);
  const k8s = opts.k8s ? new K8sLog(base.fork('k8s'), world) : null;
  const writer = new BundleWriter(base.fork('writer'), world, {
    outDir, truthPath, orgTrail: opts.orgTrail ?? true, lookupEvents: opts.lookupEvents ?? true, target: opts.events,
    k8sTruth: k8s ? k8sTruthMap(k8s.cluster.name) : undefined,
  });
  const scenario = new Scenario(base.fork('scenario'), world, writer);
  if (k8s) scenario.k8s = k8s;
  if (k8s && opts.k8sLeases) k8s.leaseRenewals = true;
  const attacks = k8s ? new K8sAttacks(scenario, k8s) : null;
  const people = k8s && attacks && opts.k8sActors ? new K8sPeople(scenario, k8s, base.fork('people'), attacks.first) : null;
  scenario.run(buildActors(scenario, opts.events, attacks, people), Math.round(opts.events));
  writer.close();
  let k8sResult: GenerateResult['k8s'];
  if (k8s && attacks) {
    const snap = k8s.finalize(Math.max(writer.lastT, k8s.lastT) + 10 * 60_000);
    const out = writeK8s(k8s, snap, (rel, data) => writer.write(rel, data));
    const attacksPath = `${truthPath}.attacks.json`;
    fs.writeFileSync(attacksPath, attacksFile(writer.attacks, attacks, k8s));
    k8sResult = { cluster: k8s.cluster.name, auditEvents: out.auditEvents, files: out.files, snapshotTime: new Date(snap).toISOString(), attacksPath };
    if (people) {
      k8sResult.actorsPath = `${truthPath}.actors.json`;
      people.write(k8sResult.actorsPath);
    }
  }

  const extraRng = base.fork('extras');
  if (writer.lookup.length > 0) {
    fs.writeFileSync(path.join(outDir, `lookup-events-${world.accounts.workloads.id}.json`), lookupEventsBody(writer.lookup));
  }
  writer.write('extra/records.jsonl', writer.jsonl.map((l) => l + '\n').join(''));
  const digestFile = writeDigest(extraRng, world, writer);
  const dc = describeClusterFile(world);
  fs.writeFileSync(path.join(outDir, dc.name), dc.body);

  return {
    outDir,
    truthPath,
    records: writer.count,
    logFiles: writer.files,
    orgTrailFiles: writer.orgFiles,
    lookupEvents: writer.lookup.length,
    jsonlRecords: writer.jsonl.length,
    digestFile,
    startTime: new Date(t0).toISOString(),
    accounts: { workloads: world.accounts.workloads.id, data: world.accounts.data.id, security: world.accounts.security.id },
    ...(k8sResult ? { k8s: k8sResult } : {}),
    clusters: world.clusters.map((c) => ({
      name: c.name, region: c.region, arn: c.arn, oidcId: c.oidcId, factSource: c === world.factCluster ? 'trail' : 'describe-cluster-file',
    })),
  };
}

/** `<truthPath>.attacks.json`: each planted attack, its CloudTrail records (with flags) and its audit events. */
function attacksFile(records: BundleWriter['attacks'], attacks: K8sAttacks, k8s: K8sLog): string {
  const ids = [...new Set([...attacks.notes.keys(), ...records.map((r) => r.attackId)])];
  const list = ids.map((id) => ({
    id,
    description: attacks.notes.get(id) ?? '',
    events: records.filter((r) => r.attackId === id).map(({ eventID, eventTime, eventName, flags }) => ({ eventID, eventTime, eventName, flags })),
    k8sAudit: (k8s.attackAudit.get(id) ?? []).map((e) => ({
      auditID: e.ev.auditID, stageTimestamp: e.ev.stageTimestamp, verb: e.ev.verb, requestURI: e.ev.requestURI, user: (e.ev.user as { username: string }).username,
    })),
  }));
  return JSON.stringify({ attacks: list }, null, 2) + '\n';
}
