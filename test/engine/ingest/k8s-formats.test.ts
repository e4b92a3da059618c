/** Kubernetes evidence formats, detected from content: audit events in three delivery shapes, and inventories. */
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvidence } from '../../../electron/engine/ingest/parse-file';
import type { AuditRow } from '../../../electron/engine/ingest/k8s-normalize';
import { stripTimestampPrefix } from '../../../electron/engine/ingest/k8s-normalize';
import { referencePath } from '../../helpers/reference';

const KUBELET_PATCH = readFileSync(referencePath('public/doc-examples/k8s-audit_01_eks-kubelet-patch-pod-status_node-role-session-in-user.extra.json'), 'utf8').trim();
const event = (auditID: string, verb = 'create') => JSON.stringify({ ...JSON.parse(KUBELET_PATCH), auditID, verb });

async function parse(bytes: Buffer) {
  const audits: AuditRow[] = [];
  const result = await parseEvidence({ bytes }, { rows: async () => {}, audits: async (r) => void audits.push(...r) });
  return { result, audits };
}

describe('Kubernetes audit events', () => {
  it('reads an EKS audit event (kubelet status patch with the node role session in user.extra)', async () => {
    const { result, audits } = await parse(Buffer.from(KUBELET_PATCH));
    expect(result.format).toBe('k8s-audit');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      auditId: '5b0f6c2e-9a41-4d7e-8c3b-2e6f1a9d4c70',
      verb: 'patch',
      resource: 'pods',
      subresource: 'status',
      namespace: 'batch',
      name: 'load-gen-42-w7kxq',
      username: 'system:node:ip-10-20-0-11.eu-west-1.compute.internal',
      sourceIp: '198.51.100.24',
      code: 200,
    });
    expect(audits[0]!.tsMs).toBe(Date.parse('2024-05-14T06:12:09.326117Z'));
  });

  it('reads JSON Lines of audit events', async () => {
    const { audits, result } = await parse(Buffer.from(`${event('a1')}\n${event('a2')}\n`));
    expect(audits.map((a) => a.auditId)).toEqual(['a1', 'a2']);
    expect(result.failures).toEqual([]);
  });

  it('reads aws logs filter-log-events output (the message is the event as a JSON string)', async () => {
    const out = { events: [{ logStreamName: 'kube-apiserver-audit-1', timestamp: 1, message: event('f1'), ingestionTime: 2, eventId: 'x' }], searchedLogStreams: [] };
    const { audits, result } = await parse(Buffer.from(JSON.stringify(out)));
    expect(result.format).toBe('cloudwatch-logs');
    expect(audits.map((a) => a.auditId)).toEqual(['f1']);
  });

  it('reads a CloudWatch Logs export to S3: gzip of "<timestamp> <event>" lines', async () => {
    const text = `2021-09-27T08:36:44.021Z ${event('c1')}\n2021-09-27T08:36:45.000Z ${event('c2')}\n`;
    const { audits, result } = await parse(gzipSync(Buffer.from(text)));
    expect(result.format).toBe('cloudwatch-export');
    expect(result.compression).toBe('gzip');
    expect(audits.map((a) => [a.auditId, a.recordIndex])).toEqual([['c1', 0], ['c2', 1]]);
    expect(stripTimestampPrefix('not a line')).toBeNull();
  });

  it('rejects an audit event without a time, naming the record', async () => {
    const bad = JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'z', verb: 'get' });
    const { result, audits } = await parse(Buffer.from(`${event('ok')}\n${bad}\n`));
    expect(audits).toHaveLength(1);
    expect(result.failures).toEqual([{ recordIndex: 1, message: expect.stringMatching(/stageTimestamp/) }]);
  });
});

describe('inventories', () => {
  it('keeps each kubectl list item as a document', async () => {
    const pods = { apiVersion: 'v1', kind: 'List', items: [{ kind: 'Pod', metadata: { name: 'p', uid: 'u' }, spec: { nodeName: 'n' } }] };
    const { result } = await parse(Buffer.from(JSON.stringify(pods)));
    expect(result.format).toBe('k8s-list');
    expect(result.documents.map((d) => d.kind)).toEqual(['k8s-object']);
  });

  it('keeps ec2 describe-instances reservations and Pod Identity associations', async () => {
    const ec2 = { Reservations: [{ Instances: [{ InstanceId: 'i-0123456789abcdef0', PrivateIpAddress: '10.0.0.1' }] }] };
    expect((await parse(Buffer.from(JSON.stringify(ec2)))).result.documents.map((d) => d.kind)).toEqual(['ec2-reservation']);
    const assoc = { associations: [{ clusterName: 'c', namespace: 'n', serviceAccount: 's', associationArn: 'arn:aws:eks:…', associationId: 'a-1' }] };
    expect((await parse(Buffer.from(JSON.stringify(assoc)))).result.documents.map((d) => d.kind)).toEqual(['eks-pod-identity-association']);
  });
});
