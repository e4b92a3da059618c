/**
 * k8s option, on disk: the audit events in three delivery formats (overlapping time slices, so the union
 * holds every event and some are read twice), and point-in-time inventories taken at the snapshot.
 *
 *   k8s/cloudwatch-export/<stream>/000000.gz   CloudWatch Logs export to S3: gzip, `<ISO ms> <event JSON>` lines
 *   k8s/filter-log-events-<n>.json             `aws logs filter-log-events` pages (message = event JSON string)
 *   k8s/audit.jsonl                            one event per line
 *   k8s/kubectl-get-{pods,nodes,sa}.json       `kubectl get … -A -o json`
 *   aws/ec2-describe-instances.json            `aws ec2 describe-instances --filters Name=tag:eks:cluster-name,…`
 *   aws/eks-list-pod-identity-associations.json
 */

import { gzipSync } from 'node:zlib';
import type { AuditEntry } from './k8s-audit';
import type { K8sLog } from './k8s-model';
import { nodeObject, podObject } from './k8s-objects';
import { isoSec, LOWER_ALNUM } from './ids';
import type { Json } from './records';

export interface K8sFiles {
  auditEvents: number;
  files: string[];
}

const CW_LINES_PER_FILE = 1000;
const FLE_PAGE = 500;

function pretty(x: unknown): string {
  return JSON.stringify(x, null, 4) + '\n';
}

/** Write the Kubernetes evidence of `k8s` (finalized at `snap`) through `write` (bundle-relative paths). */
export function writeK8s(k8s: K8sLog, snap: number, write: (rel: string, data: Buffer | string) => void): K8sFiles {
  const { rng } = k8s;
  const files: string[] = [];
  const put = (rel: string, data: Buffer | string): void => {
    write(rel, data);
    files.push(rel);
  };
  const streams = [0, 1].map(() => `kube-apiserver-audit-${rng.hex(32)}`);
  const all = k8s.audit.map((e: AuditEntry) => ({ t: e.t, json: JSON.stringify(e.ev), stream: rng.pick(streams) }));
  const n = all.length;
  const cw = all.slice(0, Math.floor(n * 0.6));
  const fle = all.slice(Math.floor(n * 0.5), Math.floor(n * 0.85));
  const jsonl = all.slice(Math.floor(n * 0.8));

  for (const stream of streams) {
    const lines = cw.filter((e) => e.stream === stream).map((e) => `${new Date(e.t).toISOString()} ${e.json}\n`);
    for (let i = 0; i * CW_LINES_PER_FILE < lines.length; i++) {
      put(`k8s/cloudwatch-export/${stream}/${String(i).padStart(6, '0')}.gz`, gzipSync(lines.slice(i * CW_LINES_PER_FILE, (i + 1) * CW_LINES_PER_FILE).join('')));
    }
  }
  const pages = Math.max(1, Math.ceil(fle.length / FLE_PAGE));
  for (let i = 0; i < pages; i++) {
    const events = fle.slice(i * FLE_PAGE, (i + 1) * FLE_PAGE).map((e) => ({
      logStreamName: e.stream,
      timestamp: e.t,
      message: e.json,
      ingestionTime: e.t + rng.between(150, 2500),
      eventId: String(rng.between(1, 9)) + rng.chars('0123456789', 55),
    }));
    const body: Json = { events, searchedLogStreams: streams.map((logStreamName) => ({ logStreamName, searchedCompletely: true })) };
    if (i < pages - 1) body.nextToken = `Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCr${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-', 120)}`;
    put(`k8s/filter-log-events-${i + 1}.json`, pretty(body));
  }
  put('k8s/audit.jsonl', jsonl.map((e) => e.json + '\n').join(''));

  writeInventories(k8s, snap, put);
  return { auditEvents: n, files };
}

function kubectlList(items: Json[]): string {
  return pretty({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } });
}

function writeInventories(k8s: K8sLog, snap: number, put: (rel: string, data: string) => void): void {
  const { rng, cluster: c, world } = k8s;
  const byName = (a: Json, b: Json): number => {
    const ma = a.metadata as { namespace?: string; name: string };
    const mb = b.metadata as { namespace?: string; name: string };
    return `${ma.namespace ?? ''}/${ma.name}` < `${mb.namespace ?? ''}/${mb.name}` ? -1 : 1;
  };
  put('k8s/kubectl-get-pods.json', kubectlList(k8s.alivePods().map((p) => podObject(p, k8s.ownerUid(p), 'Running')).sort(byName)));
  put('k8s/kubectl-get-nodes.json', kubectlList(k8s.aliveNodes(snap).map((n) => nodeObject(n, k8s.version.git, true)).sort(byName)));
  const sas = [...k8s.saUids.entries()].map(([key, uid]) => {
    const [namespace, name] = key.split('/') as [string, string];
    const w = world.workloads.find((x) => x.cluster === c && x.namespace === namespace && x.serviceAccount === name);
    const metadata: Json = { name, namespace, uid, resourceVersion: String(rng.between(1000, 9_999_999)), creationTimestamp: isoSec(k8s.saCreated.get(key)!) };
    if (w?.variant === 'irsa') metadata.annotations = { 'eks.amazonaws.com/role-arn': w.role!.arn };
    return { apiVersion: 'v1', kind: 'ServiceAccount', metadata };
  });
  put('k8s/kubectl-get-sa.json', kubectlList(sas.sort(byName)));

  const acct = c.account;
  const profiles = new Map(c.nodeGroups.map((g) => [g.name, {
    Arn: `arn:aws:iam::${acct.id}:instance-profile/eks-${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
    Id: `AIPA${acct.keyPrefix}${rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 9)}`,
    asg: `eks-${g.name}-${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
  }]));
  const reservations = c.nodes.filter((n) => n.start <= snap && snap < n.end).map((n) => {
    const prof = profiles.get(n.group.name)!;
    const azIndex = n.az.charCodeAt(n.az.length - 1) - 97;
    return {
      Groups: [],
      Instances: [{
        AmiLaunchIndex: 0,
        ImageId: `ami-0${rng.hex(16)}`,
        InstanceId: n.instanceId,
        InstanceType: k8s.nodes.get(n.instanceId)!.instanceType,
        LaunchTime: isoSec(n.start).replace('Z', '+00:00'),
        Placement: { AvailabilityZone: n.az, GroupName: '', Tenancy: 'default' },
        PrivateDnsName: n.privateDns,
        PrivateIpAddress: n.privateIp,
        PublicDnsName: '',
        State: { Code: 16, Name: 'running' },
        SubnetId: c.subnetIds[azIndex] ?? c.subnetIds[0],
        VpcId: c.vpcId,
        IamInstanceProfile: { Arn: prof.Arn, Id: prof.Id },
        Tags: [
          { Key: 'eks:cluster-name', Value: c.name },
          { Key: 'eks:nodegroup-name', Value: n.group.name },
          { Key: `kubernetes.io/cluster/${c.name}`, Value: 'owned' },
          { Key: 'aws:autoscaling:groupName', Value: prof.asg },
        ],
      }],
      OwnerId: acct.id,
      RequesterId: '225421474212',
      ReservationId: `r-0${rng.hex(16)}`,
    };
  });
  put('aws/ec2-describe-instances.json', pretty({ Reservations: reservations }));

  const associations = world.workloads.filter((w) => w.cluster === c && (w.variant === 'pi' || w.variant === 'pi-notags' || w.variant === 'pi-target')).map((w) => {
    const id = `a-${rng.chars(LOWER_ALNUM, 17)}`;
    return { clusterName: c.name, namespace: w.namespace, serviceAccount: w.serviceAccount, associationArn: `arn:aws:eks:${c.region}:${acct.id}:podidentityassociation/${c.name}/${id}`, associationId: id };
  });
  put('aws/eks-list-pod-identity-associations.json', pretty({ associations }));
}
