/**
 * Unchaining: from a credential back to its root, hop by hop. Each root kind is one rule (irsa.ts,
 * pod-identity.ts, node.ts, credentials.ts), resolved in resolve-irsa.ts, resolve-pod-identity.ts and
 * resolve-node.ts; this file only walks and composes. Resolutions are memoised per
 * access key: every event made with one key shares its resolution.
 */
import type { ChainLink } from '../../../shared/attribution';
import { emptyResolution, type Facts, type Hop, type Issuance, type Resolution } from './model';
import { preferredIssuance } from './credentials';
import { webIdentityOf } from './irsa';
import { isPodIdentityIssuance, parsePodIdentitySessionName } from './pod-identity';
import { deliveredByImds, isEc2InstanceProfileIssuance, isInstanceId, roleNameOfSession, sessionNameOf, unusualInstanceId } from './node';
import { principalHop, ResolveContext } from './resolve-context';
import { podIdentityRoot } from './resolve-pod-identity';
import { clusterOfNode, ec2Root } from './resolve-node';
import { irsaCluster, webIdentityRoot } from './resolve-irsa';
import { getStr, obj } from '../util/json';
import type { JsonObject } from '../util/json';
import { isoUtc } from '../util/time';

const SSO_ROLE = /(^|\/)AWSReservedSSO_/;

export class Resolver {
  private readonly byKey = new Map<string, Resolution>();
  private readonly visiting = new Set<string>();
  private readonly ctx: ResolveContext;

  constructor(private readonly facts: Facts) {
    this.ctx = new ResolveContext(facts);
  }

  /** Is there an issuance of `key` in the bundle whose validity window covers `eventMs`? */
  issuanceFor(key: string, eventMs: number): Issuance | null {
    const list = this.facts.issuances.get(key);
    return list ? preferredIssuance(list, eventMs) : null;
  }

  issuancesOf(key: string): Issuance[] {
    return this.facts.issuances.get(key) ?? [];
  }

  hasIssuance(key: string): boolean {
    return this.facts.issuances.has(key);
  }

  /** The resolution of a key whose issuance is in the bundle. */
  resolveKey(key: string): Resolution | null {
    const cached = this.byKey.get(key);
    if (cached) return cached;
    const list = this.facts.issuances.get(key);
    if (!list) return null;
    const iss = preferredIssuance(list, null)!;
    this.visiting.add(key);
    try {
      const r = this.resolveIssuance(iss, list);
      this.byKey.set(key, r);
      return r;
    } finally {
      this.visiting.delete(key);
    }
  }

  /** An event whose key is not issued in the bundle (or that has no key): what its own record states. */
  /**
   * A refused AssumeRoleWithWebIdentity issued nothing, yet a pod made it: with Kubernetes evidence it is narrowed
   * to its pod like any exchange, at its own time and address (a pseudo-issuance with no key).
   */
  resolveRefusedExchange(eventID: string, record: JsonObject, eventMs: number): Resolution {
    // The stored time: a SIEM export may carry it only in its own field (Logstash's @timestamp).
    const ms = eventMs;
    const iss: Issuance = {
      accessKeyId: '',
      eventID,
      eventName: 'AssumeRoleWithWebIdentity',
      issuedMs: ms,
      expiresMs: ms,
      roleArn: getStr(record, 'requestParameters', 'roleArn') ?? null,
      sessionName: getStr(record, 'requestParameters', 'roleSessionName') ?? null,
      region: getStr(record, 'awsRegion') ?? null,
      record,
    };
    const r = webIdentityRoot(this.ctx, record, [], iss);
    r.notes.push(`the call was refused (${getStr(record, 'errorCode') ?? 'error'}): no credentials were issued`);
    return r;
  }

  resolveOwnIdentity(record: JsonObject): Resolution {
    const ui = obj(record.userIdentity);
    const type = getStr(ui, 'type');
    const key = getStr(ui, 'accessKeyId') || null;
    const arn = getStr(ui, 'arn') ?? null;
    const link: ChainLink[] = key ? [{ accessKeyId: key, issuedBy: null }] : [];
    const issuanceMissing = key && key.startsWith('ASIA') ? [`the call that issued ${key} is not in the bundle`] : [];
    switch (type) {
      case 'IAMUser': {
        const r = this.ctx.root('iam-user', arn ?? `IAM user ${getStr(ui, 'userName') ?? '?'}`, link);
        r.hops.push(principalHop(`long-term credentials of IAM user ${arn ?? getStr(ui, 'userName')}`, ['userIdentity.type', 'userIdentity.arn']));
        return r;
      }
      case 'Root': {
        const r = this.ctx.root('root', `root user of account ${getStr(ui, 'accountId') ?? '?'}`, link);
        r.hops.push(principalHop('the account root user', ['userIdentity.type']));
        return r;
      }
      case 'AWSService': {
        const svc = getStr(ui, 'invokedBy') ?? 'an AWS service';
        const r = this.ctx.root('aws-service', svc, link);
        r.hops.push(principalHop(`made by ${svc} on its own behalf`, ['userIdentity.type', 'userIdentity.invokedBy']));
        return r;
      }
      case 'WebIdentityUser':
        return webIdentityRoot(this.ctx, record, [], null);
      case 'SAMLUser': {
        const r = this.ctx.root('saml', getStr(ui, 'userName') ?? getStr(ui, 'principalId') ?? null, link);
        r.hops.push(principalHop('a SAML-federated user', ['userIdentity.type', 'userIdentity.userName']));
        return r;
      }
      case 'AssumedRole':
        return this.ownRoleSession(record, link, issuanceMissing);
      case 'AWSAccount': {
        const other = this.callerAccountCopy(record);
        if (other) return other;
        const r = emptyResolution('unknown');
        r.principal = `a principal of account ${getStr(ui, 'accountId') ?? '?'} (named only in that account's trail)`;
        r.chain = link;
        r.notes.push('the caller is identified only by its account; load that account\'s trail to name it');
        return r;
      }
      default: {
        // AwsServiceEvent records (e.g. Secrets Manager RotationSucceeded): userIdentity has invokedBy and no type.
        const svc = getStr(ui, 'invokedBy');
        if (svc && (type === undefined || getStr(record, 'eventType') === 'AwsServiceEvent')) {
          const r = this.ctx.root('aws-service', svc, link);
          r.hops.push(principalHop(`service event from ${svc}`, ['eventType', 'userIdentity.invokedBy']));
          return r;
        }
        const r = emptyResolution('unknown');
        r.chain = link;
        r.principal = arn;
        r.notes.push(type ? `identity type ${type} is not attributed further` : 'the record has no userIdentity');
        return r;
      }
    }
  }

  /**
   * A cross-account AssumeRole is logged in the role's account with the caller only as `type: AWSAccount`;
   * the caller's account logs the same call (same `sharedEventID`, same issued key) with the full identity.
   */
  private callerAccountCopy(record: JsonObject): Resolution | null {
    const key = getStr(record, 'responseElements', 'credentials', 'accessKeyId');
    if (!key) return null;
    const copy = this.issuancesOf(key).find((i) => getStr(i.record, 'userIdentity', 'type') !== 'AWSAccount');
    if (!copy) return null;
    // Attribute the call as its caller's session: what the event in the caller's account is attributed to.
    const callerKey = getStr(copy.record, 'userIdentity', 'accessKeyId');
    const r = (callerKey && this.issuanceFor(callerKey, copy.issuedMs) && !this.visiting.has(callerKey) ? this.resolveKey(callerKey) : null) ?? this.resolveOwnIdentity(copy.record);
    const hop: Hop = {
      rule: 'principal',
      confidence: 'proven',
      claim: `the same call as logged in the caller's account (${copy.eventID}${getStr(record, 'sharedEventID') ? `, sharedEventID ${getStr(record, 'sharedEventID')}` : ''}) names the caller`,
      evidence: [copy.eventID],
      fields: ['sharedEventID', 'responseElements.credentials.accessKeyId', 'userIdentity'],
    };
    return { ...r, hops: [hop, ...r.hops] };
  }

  // --- roots ------------------------------------------------------------------------------------------

  /** A role session whose issuing call is missing: only what the event's own identity states. */
  private ownRoleSession(record: JsonObject, link: ChainLink[], notes: string[]): Resolution {
    const ui = obj(record.userIdentity);
    const arn = getStr(ui, 'arn') ?? null;
    const issuerArn = getStr(ui, 'sessionContext', 'sessionIssuer', 'arn') ?? '';
    const session = sessionNameOf(arn);
    // A service-linked role's session used by its service (Inspector, RDS, Auto Scaling, …): `invokedBy` (or the
    // source "address") names the service, and the role lives under /aws-service-role/ or is AWSServiceRoleFor*.
    const service = getStr(ui, 'invokedBy') ?? (/\.amazonaws\.com$/.test(getStr(record, 'sourceIPAddress') ?? '') ? getStr(record, 'sourceIPAddress')! : null);
    const roleName = roleNameOfSession(arn) ?? getStr(ui, 'sessionContext', 'sessionIssuer', 'userName') ?? '';
    if (service && (issuerArn.includes('/aws-service-role/') || /^AWSServiceRoleFor/.test(roleName))) {
      const r = this.ctx.root('aws-service', service, link);
      r.hops.push(principalHop(`${service} acting through its service-linked role ${roleName}`, ['userIdentity.invokedBy', 'userIdentity.arn', 'sourceIPAddress']));
      return r;
    }
    // IAM Identity Center permission-set roles live under aws-reserved/sso.amazonaws.com/ and are named
    // AWSReservedSSO_<set>_<id>; the session name is the signed-in user. When the ARN lacks it (some exports and
    // anonymised records), principalId is `<role id>:<user>`.
    if (SSO_ROLE.test(issuerArn) || issuerArn.includes('/aws-reserved/sso.amazonaws.com/') || SSO_ROLE.test(roleNameOfSession(arn) ?? '')) {
      const user = session ?? getStr(ui, 'principalId')?.split(':').slice(1).join(':') ?? null;
      const field = session ? 'userIdentity.arn' : 'userIdentity.principalId';
      const r = this.ctx.root('sso', `${user || '?'} via IAM Identity Center (${roleNameOfSession(arn) ?? getStr(ui, 'sessionContext', 'sessionIssuer', 'userName') ?? issuerArn})`, link);
      r.hops.push(principalHop(`IAM Identity Center user ${user || '?'}`, ['userIdentity.sessionContext.sessionIssuer.arn', field]));
      return r;
    }
    if (isInstanceId(session)) {
      const r = this.ctx.root('node-role', arn, link);
      const imds = deliveredByImds(record);
      r.confidence.identity = imds ? 'proven' : 'inferred';
      r.node = this.ctx.nodeRef(session);
      r.confidence.node = r.confidence.identity;
      r.hops.push({
        rule: 'node-instance-session',
        confidence: r.confidence.node,
        claim: imds
          ? `instance-profile credentials of EC2 instance ${session} (delivered by IMDS)`
          : `session named after EC2 instance ${session}; no ec2RoleDelivery and no issuing call, so the name alone says it`,
        evidence: [],
        fields: imds ? ['userIdentity.arn', 'userIdentity.sessionContext.ec2RoleDelivery'] : ['userIdentity.arn'],
      });
      clusterOfNode(this.ctx, r, session, issuerArn || null);
      r.notes.push(...notes.filter(() => !imds));
      const unusual = unusualInstanceId(session);
      if (unusual) r.notes.push(unusual);
      return r;
    }
    const provider = getStr(ui, 'sessionContext', 'webIdFederationData', 'federatedProvider');
    const wi = webIdentityOf(record);
    if (provider && wi.eks) {
      const r = emptyResolution('irsa');
      r.chain = link;
      r.principal = arn;
      irsaCluster(this.ctx, r, wi.eks.oidcId, []);
      r.notes.push(...notes, 'the AssumeRoleWithWebIdentity that named the service account is not in the bundle');
      return r;
    }
    const r = emptyResolution('assumed-role');
    r.chain = link;
    r.principal = arn;
    r.notes.push(...notes);
    if (parsePodIdentitySessionName(session)) r.notes.push('the session name has the EKS Pod Identity form, but without its issuing call that is not proof');
    return r;
  }

  private resolveIssuance(iss: Issuance, all: Issuance[]): Resolution {
    const rec = iss.record;
    const link: ChainLink = {
      accessKeyId: iss.accessKeyId,
      issuedBy: { eventID: iss.eventID, eventName: iss.eventName, roleArn: iss.roleArn },
    };
    const issueHop: Hop = {
      rule: 'key-issuance',
      confidence: 'proven',
      claim: `${iss.accessKeyId} was issued by ${iss.eventName}${iss.roleArn ? ` into ${iss.roleArn}` : ''} at ${isoUtc(iss.issuedMs)}, valid to ${isoUtc(iss.expiresMs)}`,
      evidence: all.map((i) => i.eventID),
      fields: ['responseElements.credentials.accessKeyId', 'responseElements.credentials.expiration'],
    };
    let r: Resolution;
    if (isPodIdentityIssuance(rec)) r = podIdentityRoot(this.ctx, iss);
    else if (isEc2InstanceProfileIssuance(rec)) r = ec2Root(this.ctx, iss);
    else if (iss.eventName === 'AssumeRoleWithWebIdentity') r = webIdentityRoot(this.ctx, rec, [], iss);
    else if (iss.eventName === 'AssumeRoleWithSAML') r = this.samlRoot(iss);
    else r = this.callerOf(iss);
    return { ...r, chain: [link, ...r.chain], hops: [issueHop, ...r.hops], notes: iss.anomaly ? [iss.anomaly, ...r.notes] : r.notes };
  }

  /** The caller of an AssumeRole/GetSessionToken/…: a session (follow it), a user, a service, root. */
  private callerOf(iss: Issuance): Resolution {
    const rec = iss.record;
    const ui = obj(rec.userIdentity);
    const type = getStr(ui, 'type');
    const callerKey = getStr(ui, 'accessKeyId') || null;
    if (callerKey && (type === 'AssumedRole' || type === 'FederatedUser' || type === 'IAMUser')) {
      const parentIss = this.issuanceFor(callerKey, iss.issuedMs);
      let parent: Resolution;
      if (parentIss && !this.visiting.has(callerKey)) parent = this.resolveKey(callerKey)!;
      else {
        parent = this.resolveOwnIdentity(rec);
        if (this.visiting.has(callerKey)) parent.notes.push(`credential loop at ${callerKey}: stopped`);
        else if (this.hasIssuance(callerKey) && !parentIss) {
          parent.notes.push(`${callerKey} was issued in the bundle, but this call falls outside its validity window`);
        }
      }
      if (type !== 'AssumedRole') return parent;
      // sessionContext.sessionIssuer / userIdentity.arn of the AssumeRole record: a role session assumed a role.
      const hop: Hop = {
        rule: 'role-chain',
        confidence: 'proven',
        claim: `role chaining: the session ${getStr(ui, 'arn') ?? callerKey} (key ${callerKey}) made this call`,
        evidence: [iss.eventID],
        fields: ['userIdentity.accessKeyId', 'userIdentity.arn'],
      };
      return { ...parent, chained: true, hops: [hop, ...parent.hops] };
    }
    return this.resolveOwnIdentity(rec);
  }

  private samlRoot(iss: Issuance): Resolution {
    const ui = obj(iss.record.userIdentity);
    const user = getStr(ui, 'userName') ?? getStr(ui, 'principalId') ?? null;
    const sso = SSO_ROLE.test(iss.roleArn ?? '');
    const r = this.ctx.root(sso ? 'sso' : 'saml', user ? `${user} via ${getStr(ui, 'identityProvider') ?? 'SAML'}` : null, []);
    r.hops.push(principalHop(`SAML-federated user ${user ?? '?'}`, ['userIdentity.userName', 'userIdentity.identityProvider']));
    return r;
  }

}

