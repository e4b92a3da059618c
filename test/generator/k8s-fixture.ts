/**
 * Test helper: reads a bundle generated with `k8s: true` back — CloudTrail records, truth, and the audit
 * events of the three delivery formats merged by auditID — the way an ingester would. No test framework here:
 * format problems are collected in `problems` for the tests to assert on.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { GenerateResult, TruthRecord } from './index';

export type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `<ISO ms timestamp> <event JSON>`, a line of a CloudWatch Logs export. */
export const CW_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\{.*\})$/;

export interface PodSeen {
  name: string;
  ns: string;
  sa: string;
  created: number;
  node: string | null;
  ip: string | null;
  deleted: number | null;
}

export interface K8sBundle {
  result: GenerateResult;
  files: string[];
  byId: Map<string, Rec>;
  truth: TruthRecord[];
  /** Audit events by auditID (union of the formats), with the formats each was read from. */
  audit: Map<string, { ev: Rec; raw: string; from: Set<string> }>;
  /** The union, by stageTimestamp. */
  events: Rec[];
  problems: string[];
}

export const ms = (iso: string): number => Date.parse(iso);

export function walk(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p, base) : [path.relative(base, p).split(path.sep).join('/')];
  });
}

export function readJson(r: GenerateResult, rel: string): Rec {
  return JSON.parse(fs.readFileSync(path.join(r.outDir, rel), 'utf8')) as Rec;
}

export function loadK8sBundle(R: GenerateResult): K8sBundle {
  const files = walk(R.outDir).sort();
  const read = (f: string): Buffer => fs.readFileSync(path.join(R.outDir, f));
  const byId = new Map<string, Rec>();
  for (const f of files.filter((x) => x.endsWith('.json.gz') && x.includes('/CloudTrail/'))) {
    for (const rec of (JSON.parse(gunzipSync(read(f)).toString('utf8')) as { Records: Rec[] }).Records) byId.set(rec.eventID, rec);
  }
  for (const l of read('extra/records.jsonl').toString('utf8').split('\n').filter(Boolean)) byId.set(JSON.parse(l).eventID, JSON.parse(l));
  const truth = read(path.relative(R.outDir, R.truthPath)).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TruthRecord);
  const audit: K8sBundle['audit'] = new Map();
  const problems: string[] = [];
  const add = (raw: string, from: string): void => {
    const ev = JSON.parse(raw) as Rec;
    const cur = audit.get(ev.auditID);
    if (cur && cur.raw !== raw) problems.push(`${ev.auditID}: differs between ${[...cur.from].join(',')} and ${from}`);
    if (cur) cur.from.add(from);
    else audit.set(ev.auditID, { ev, raw, from: new Set([from]) });
  };
  for (const f of files.filter((x) => x.startsWith('k8s/cloudwatch-export/'))) {
    for (const line of gunzipSync(read(f)).toString('utf8').split('\n').filter(Boolean)) {
      const m = CW_LINE.exec(line);
      if (!m) {
        problems.push(`${f}: bad line ${line.slice(0, 60)}`);
        continue;
      }
      if (ms(m[1]!) !== Math.floor(ms(JSON.parse(m[2]!).stageTimestamp))) problems.push(`${f}: prefix ${m[1]} is not the stage time`);
      add(m[2]!, 'cloudwatch-export');
    }
  }
  for (const f of files.filter((x) => /^k8s\/filter-log-events-\d+\.json$/.test(x))) {
    const body = readJson(R, f);
    const streams = new Set(body.searchedLogStreams.map((s: Rec) => s.logStreamName));
    for (const e of body.events) {
      const ok = typeof e.message === 'string' && streams.has(e.logStreamName) && /^kube-apiserver-audit-[0-9a-f]{32}$/.test(e.logStreamName) &&
        /^\d{56}$/.test(e.eventId) && e.ingestionTime >= e.timestamp && e.timestamp === Math.floor(ms(JSON.parse(e.message).stageTimestamp));
      if (!ok) problems.push(`${f}: bad event ${String(e.eventId)}`);
      add(e.message, 'filter-log-events');
    }
  }
  for (const l of read('k8s/audit.jsonl').toString('utf8').split('\n').filter(Boolean)) add(l, 'jsonl');
  const events = [...audit.values()].map((a) => a.ev).sort((a, b) => ms(a.stageTimestamp) - ms(b.stageTimestamp));
  return { result: R, files, byId, truth, audit, events, problems };
}

export const isKubelet = (e: Rec): boolean => e.user.username.startsWith('system:node:');

/** Audit events about one pod uid (its create, status patches, token requests bound to it). */
export function podEvents(b: K8sBundle, uid: string): Rec[] {
  return b.events.filter((e) => e.responseObject?.metadata?.uid === uid || e.requestObject?.metadata?.uid === uid || e.requestObject?.spec?.boundObjectRef?.uid === uid);
}

/** Pod uid -> what the audit log says of it (first delete wins). */
export function podsSeen(b: K8sBundle): Map<string, PodSeen> {
  const out = new Map<string, PodSeen>();
  const byName = new Map<string, string>();
  for (const e of b.events) {
    const o = e.objectRef;
    if (o.resource !== 'pods') continue;
    if (e.verb === 'create' && !o.subresource) {
      const m = e.responseObject.metadata;
      out.set(m.uid, { name: m.name, ns: m.namespace, sa: e.responseObject.spec.serviceAccountName, created: ms(e.stageTimestamp), node: null, ip: null, deleted: null });
      byName.set(`${m.namespace}/${m.name}`, m.uid);
    } else if (o.subresource === 'binding') out.get(byName.get(`${o.namespace}/${o.name}`)!)!.node = e.requestObject.target.name;
    else if (o.subresource === 'status' && e.requestObject.status.podIP) out.get(e.requestObject.metadata.uid)!.ip = e.requestObject.status.podIP;
    else if (e.verb === 'delete') {
      const p = out.get(byName.get(`${o.namespace}/${o.name}`)!)!;
      if (p.deleted === null) p.deleted = ms(e.stageTimestamp);
    }
  }
  return out;
}

/** Instance id -> Node object name, from the kubelets' node registrations. */
export function nodeNames(b: K8sBundle): Map<string, string> {
  return new Map(b.events.filter((e) => e.objectRef.resource === 'nodes' && e.verb === 'create')
    .map((e) => [e.responseObject.spec.providerID.split('/').pop() as string, e.responseObject.metadata.name as string]));
}
