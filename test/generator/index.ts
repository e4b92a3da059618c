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
import { PodActor } from './pods';
import { Rng } from './rng';
import { Scenario, type Actor } from './scenario';
import { ClusterFactActor, stolenNodeCreds, stolenTokenAttack } from './specials';
import { buildWorld, type World } from './world';

export type { TruthRecord, ExpectLevel } from './truth';

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

function buildActors(ctx: Scenario, events: number): Actor[] {
  const w = ctx.world;
  const R = (events * HEADROOM) / w.spanMs;
  const actors: Actor[] = [];
  const byClass = (variants: string[]): typeof w.workloads => w.workloads.filter((x) => variants.includes(x.variant) && !x.daemonSet);
  const addPods = (list: typeof w.workloads, share: number): PodActor[] => {
    const total = list.reduce((s, x) => s + x.weight, 0);
    const out: PodActor[] = [];
    for (const x of list) {
      for (let i = 0; i < x.replicas; i++) out.push(new PodActor(ctx, x, (share * R * x.weight) / total / x.replicas, null));
    }
    actors.push(...out);
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
  actors.push(stolenTokenAttack(ctx, w.fileCluster));
  actors.push(stolenNodeCreds(ctx, w.factCluster));
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
  const writer = new BundleWriter(base.fork('writer'), world, {
    outDir, truthPath, orgTrail: opts.orgTrail ?? true, lookupEvents: opts.lookupEvents ?? true, target: opts.events,
  });
  const scenario = new Scenario(base.fork('scenario'), world, writer);
  scenario.run(buildActors(scenario, opts.events), Math.round(opts.events));
  writer.close();

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
    clusters: world.clusters.map((c) => ({
      name: c.name, region: c.region, arn: c.arn, oidcId: c.oidcId, factSource: c === world.factCluster ? 'trail' : 'describe-cluster-file',
    })),
  };
}
