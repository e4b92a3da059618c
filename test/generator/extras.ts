/**
 * The bundle's side files: a `lookup-events` export, a JSON Lines file, a CloudTrail digest and an
 * `aws eks describe-cluster` output.
 */

import { gzipSync } from 'node:zlib';
import type { BundleWriter, LookupSample } from './bundle';
import { compactSecond, datePath, isoSec, localIso } from './ids';
import type { Json } from './records';
import type { Rng } from './rng';
import { clusterBody } from './specials';
import type { World } from './world';

/** Eastern Standard Time: the investigator's workstation timezone in the export. */
const LOOKUP_OFFSET_MIN = -5 * 60;

function lookupResources(rec: Json): Json[] {
  const out: Json[] = [];
  const rp = rec.requestParameters as Json | null;
  const re = rec.responseElements as Json | null;
  if (rec.eventSource === 'eks-auth.amazonaws.com' && rp) out.push({ ResourceType: 'AWS::EKS::Cluster', ResourceName: rp.clusterName });
  const creds = re?.credentials as Json | undefined;
  const aru = re?.assumedRoleUser as { arn: string; assumedRoleId: string } | undefined;
  if (creds) out.push({ ResourceType: 'AWS::IAM::AccessKey', ResourceName: creds.accessKeyId });
  if (aru) {
    out.push({ ResourceType: 'AWS::STS::AssumedRole', ResourceName: aru.arn });
    out.push({ ResourceType: 'AWS::STS::AssumedRole', ResourceName: aru.assumedRoleId });
    out.push({ ResourceType: 'AWS::STS::AssumedRole', ResourceName: aru.assumedRoleId.split(':')[1] });
  }
  for (const r of (rec.resources as { type?: string; ARN?: string }[] | undefined) ?? []) {
    if (r.type && r.ARN) out.push({ ResourceType: r.type, ResourceName: r.ARN });
  }
  return out;
}

function lookupUsername(ui: Json | undefined): string | undefined {
  if (!ui) return undefined;
  if (ui.type === 'AssumedRole') return String(ui.arn).split('/').pop();
  if (ui.type === 'IAMUser' || ui.type === 'WebIdentityUser') return ui.userName as string;
  return undefined;
}

/** `aws cloudtrail lookup-events` output: newest first, times in local time with an offset. */
export function lookupEventsBody(samples: LookupSample[]): string {
  const events = [...samples].sort((a, b) => b.t - a.t).map(({ json, rec, t }) => {
    const ui = rec.userIdentity as Json | undefined;
    const e: Json = { EventId: rec.eventID, EventName: rec.eventName, ReadOnly: String(rec.readOnly) };
    if (ui?.accessKeyId) e.AccessKeyId = ui.accessKeyId;
    e.EventTime = localIso(t, LOOKUP_OFFSET_MIN);
    e.EventSource = rec.eventSource;
    const user = lookupUsername(ui);
    if (user) e.Username = user;
    e.Resources = lookupResources(rec);
    e.CloudTrailEvent = json;
    return e;
  });
  return JSON.stringify({ Events: events }, null, 4) + '\n';
}

/** A CloudTrail digest for the first hour of the workloads account's trail in the first region. */
export function writeDigest(rng: Rng, world: World, writer: BundleWriter): string | null {
  const files = writer.digestFiles;
  if (files.length === 0) return null;
  const acct = world.accounts.workloads;
  const region = world.regions[0]!;
  const start = world.t0;
  const end = world.t0 + 3_600_000;
  const key = (t: number): string =>
    `AWSLogs/${acct.id}/CloudTrail-Digest/${region}/${datePath(t)}/${acct.id}_CloudTrail-Digest_${region}_${world.trailName}_${region}_${compactSecond(t)}.json.gz`;
  const times = files.flatMap((f) => [f.newestEventTime, f.oldestEventTime]).sort();
  const body = {
    awsAccountId: acct.id,
    digestStartTime: isoSec(start),
    digestEndTime: isoSec(end),
    digestS3Bucket: acct.trailBucket,
    digestS3Object: key(end),
    digestPublicKeyFingerprint: rng.hex(32),
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: times[times.length - 1],
    oldestEventTime: times[0],
    previousDigestS3Bucket: acct.trailBucket,
    previousDigestS3Object: key(start),
    previousDigestHashValue: rng.hex(64),
    previousDigestHashAlgorithm: 'SHA-256',
    previousDigestSignature: rng.hex(512),
    logFiles: files,
  };
  const rel = key(end);
  writer.write(rel, gzipSync(JSON.stringify(body)));
  return rel;
}

/** `aws eks describe-cluster --name <c>` output, as saved next to the logs by an investigator. */
export function describeClusterFile(world: World): { name: string; body: string } {
  const c = world.fileCluster;
  return { name: `describe-cluster-${c.name}.json`, body: JSON.stringify({ cluster: clusterBody(c, true) }, null, 4) + '\n' };
}
