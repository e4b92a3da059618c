/**
 * `trace.people`: past the pod, for the chain graph. The people behind the event's pod (`podActors`, picked as the
 * graph draws them: shared/people.ts), each action with the audit event that shows it, and each person's own
 * credential chain: the access key their requests carried (`user.extra.accessKeyId`) traced as an API event's key is
 * — the subject correlation made for it (its issuing STS call, role chaining, the root principal; or, for a key
 * issued outside the bundle, what its CloudTrail calls state), else the key traced on its own (k8s/actors.ts
 * resolveKubeUser reads the key the same way). Every hop cites its records: a root read from a record's own
 * identity cites that record (the call made with the chain's last key), never "the event's own record".
 */
import type { Database } from 'better-sqlite3';
import type { EvidenceRecordView, HopView, PeopleQuery, PeopleView, PersonCredentialView } from '../../../shared/api';
import type { Confidence, PodAction, PodActorAction } from '../../../shared/attribution';
import { PEOPLE_LIMITS, selectPeople } from '../../../shared/people';
import type { Resolution } from '../chain/model';
import type { CaseQueries, TracedHop } from './queries';

/** The request fields each kind of action is read from (the audit record's `verb` and `objectRef`, and when). */
const WHAT_FIELDS = ['verb', 'objectRef.resource', 'objectRef.subresource', 'objectRef.namespace', 'objectRef.name', 'requestReceivedTimestamp'];
/** Who made the request: the Kubernetes user and what aws-iam-authenticator wrote of the IAM caller. */
const WHO_FIELDS = ['user.username', 'user.extra.arn', 'user.extra.sessionName', 'user.extra.accessKeyId'];

const HOW: Record<PodAction, string> = {
  deploy: 'the deployment controller answered this Deployment change with the ReplicaSet whose pods include this one (matched on time: inferred)',
  exec: 'the audit event names the pod',
  attach: 'the audit event names the pod',
  portforward: 'the audit event names the pod',
  log: 'the audit event names the pod',
  delete: 'the audit event names the pod',
  token: "a token for the pod's service account, minted while the pod ran (any pod of the service account could have received it: inferred)",
};

export function peopleOfEvent(db: Database, queries: CaseQueries, q: PeopleQuery): PeopleView | null {
  const t = queries.trace(q.target);
  if (!t) return null;
  const a = t.attribution ?? t.resolution;
  const pick = selectPeople(a.podActors, a.actor, { people: q.people ?? PEOPLE_LIMITS.people, actions: q.actions ?? PEOPLE_LIMITS.actions });
  if (pick.people.length === 0) return { people: [], more: pick.more };

  const records = new Map<string, EvidenceRecordView | null>();
  const record = (id: string): EvidenceRecordView[] => {
    if (!records.has(id)) records.set(id, queries.evidenceRecord(id));
    const r = records.get(id);
    return r ? [r] : [];
  };
  const identityConfidence = db.prepare('SELECT confidence FROM pod_actions WHERE audit_id = ? AND action = ? LIMIT 1').pluck();
  const subject = db.prepare('SELECT resolution FROM subjects WHERE subject_key = ?').pluck();
  const firstUse = db.prepare('SELECT event_id FROM events WHERE access_key_id = ? ORDER BY event_ms, id LIMIT 1').pluck();

  /** A key's resolution and hops: its subject's when correlation made one, else the key traced on its own. */
  const keyTrace = (key: string): { resolution: Resolution; hops: TracedHop[] } | null => {
    const own = subject.get(`key:${key}`) === undefined ? (subject.get(`own:${key}`) as string | undefined) : undefined;
    if (own !== undefined) {
      const r = JSON.parse(own) as Resolution;
      return { resolution: r, hops: queries.traceHops(r, null) };
    }
    return queries.trace(key);
  };

  const credential = (key: string, acts: PodActorAction[]): PersonCredentialView => {
    const named: HopView = {
      rule: 'audit-key',
      confidence: 'proven',
      claim: `the audit event${acts.length > 1 ? 's' : ''} ${acts.map((x) => x.auditID).join(', ')} name${acts.length > 1 ? '' : 's'} user.extra.accessKeyId ${key}: the access key the request was signed with`,
      evidence: acts.map((x) => x.auditID),
      fields: ['user.extra.accessKeyId'],
      records: acts.flatMap((x) => record(x.auditID)),
    };
    const kt = keyTrace(key);
    if (!kt) return { accessKeyId: key, named, resolution: null, hops: [] };
    // A hop with no evidence read the identity of the record made with the chain's last key: the call that issued
    // the key before it (role chaining), the last key's own issuing call, or the key's first CloudTrail call.
    const chain = kt.resolution.chain;
    const last = chain[chain.length - 1];
    const readFrom = last?.issuedBy?.eventID ?? chain[chain.length - 2]?.issuedBy?.eventID ?? ((firstUse.get(last?.accessKeyId ?? key) as string | undefined) || null);
    const hops = kt.hops.map((h) => (h.evidence.length === 0 && readFrom ? { ...h, evidence: [readFrom], records: record(readFrom) } : h));
    const { hops: _hops, ...resolution } = kt.resolution;
    return { accessKeyId: key, named, resolution, hops };
  };

  return {
    more: pick.more,
    people: pick.people.map((p) => {
      const actions = p.actions.map((x) => {
        const cited = record(x.auditID);
        const what: Confidence = x.confidence === 'ambiguous' ? 'ambiguous' : x.action === 'deploy' || x.action === 'token' ? 'inferred' : 'proven';
        const identity = (identityConfidence.get(x.auditID, x.action) as Confidence | undefined) ?? x.confidence;
        return {
          action: x,
          what: {
            rule: 'pod-action',
            confidence: what,
            claim: `${x.kubernetesUser}: ${x.action} ${x.target} at ${x.time}; ${HOW[x.action]}${x.confidence === 'ambiguous' ? '; the pod is one of the candidates' : ''}`,
            evidence: [x.auditID],
            fields: WHAT_FIELDS,
            records: cited,
          },
          who: { rule: 'audit-user', confidence: identity, claim: `${x.kubernetesUser} is ${x.principal ?? 'not an AWS principal'}: ${x.why}`, evidence: [x.auditID], fields: WHO_FIELDS, records: cited },
        };
      });
      const keys = new Map<string, PodActorAction[]>();
      for (const x of p.actions) if (x.accessKeyId) keys.set(x.accessKeyId, [...(keys.get(x.accessKeyId) ?? []), x]);
      return { who: p.who, actor: p.actor, actions, moreActions: p.moreActions, credentials: [...keys].map(([k, acts]) => credential(k, acts)) };
    }),
  };
}
