/**
 * k8s option: the truth the audit logs make reachable, detection flags, and the planted attacks that need
 * Kubernetes evidence to be told apart:
 * - zombie-session: the responder deletes a pod (kubernetes-admin), its IRSA session keeps calling for minutes;
 * - minted-token: a compromised pod's service account mints a token for another SA (`create
 *   serviceaccounts/<sa>/token`, not by a kubelet) and exchanges it from inside the cluster;
 * - first-seen-api: a workload's own session calls `iam:CreateAccessKey`.
 * The CloudTrail-only attacks (stolen-token, stolen-node-creds, see specials.ts) get their flags here too.
 */

import { ACTIONS, type ActionOut } from './catalog';
import { adminUser, saUser, tokenRef, UA, URI } from './k8s-audit';
import type { K8sLog } from './k8s-model';
import { tokenRequest, tokenResponse } from './k8s-objects';
import { ids, isoSec, stsExpiration } from './ids';
import type { HumanActor } from './actors';
import type { PodActor, RunningPod } from './pods';
import { SDKS } from './population';
import type { Json } from './records';
import { emitCall, pickAction, type Actor } from './scenario';
import { issueIrsa, type Ctx, type Session } from './sts';
import type { Flag, TruthBase } from './truth';

/**
 * With the audit logs: IRSA pods (and their nodes) of the covered cluster become inferable — the pods of the
 * service account alive at the exchange, the kubelet's token requests before it, and pod IPs (VPC endpoints)
 * narrow it down. Never proven: even where the kubelet's TokenRequest carries
 * `authentication.kubernetes.io/issued-credential-id` (JTI) and only one pod is left, CloudTrail does not log
 * the web-identity token's JTI, so nothing ties that token to the exchange. Tagged Pod Identity sessions name
 * the pod uid, whose scheduler binding names the node: node proven.
 */
export function k8sTruthMap(cluster: string): (t: TruthBase) => TruthBase {
  return (t) => {
    let expect = t.expect;
    if (t.cluster === cluster && t.mechanism === 'irsa' && t.pod) expect = { ...expect, pod: 'inferable', node: 'inferable' };
    else if (t.cluster === cluster && t.mechanism === 'pod-identity' && expect.identity === 'proven') expect = { ...expect, node: 'proven' };
    return { ...t, expect, flags: t.flags ?? [] };
  };
}

/** APIs each workload service account calls in normal operation; an attack call outside them is first-seen. */
export class FirstSeen {
  private readonly known = new Map<string, Set<string>>();

  constructor(ctx: Ctx) {
    for (const w of ctx.world.workloads) {
      if (w.variant === 'node') continue;
      const key = `${w.cluster.name}/${w.namespace}/${w.serviceAccount}`;
      const set = this.known.get(key) ?? new Set(['sts:AssumeRoleWithWebIdentity', 'sts:AssumeRole', 'eks-auth:AssumeRoleForPodIdentity']);
      for (const [id] of [...w.mix, ...w.chain.flatMap((h) => h.mix)]) set.add(id);
      this.known.set(key, set);
    }
  }

  /** True (once per service account and API) when `rec` is a call its service account never makes. */
  check(rec: Json, truth: TruthBase): boolean {
    if (!truth.serviceAccount || (rec.userIdentity as Json | undefined)?.invokedBy) return false;
    const set = this.known.get(`${truth.cluster}/${truth.namespace}/${truth.serviceAccount}`);
    const api = `${String(rec.eventSource).split('.')[0]}:${String(rec.eventName)}`;
    if (!set || set.has(api)) return false;
    set.add(api);
    return true;
  }
}

/** A context whose records (those `flagsOf` does not skip with null) are marked as attack `attackId`. */
export function markedCtx(ctx: Ctx, attackId: string, first: FirstSeen, flagsOf: (rec: Json, truth: TruthBase) => Flag[] | null): Ctx {
  return {
    rng: ctx.rng,
    world: ctx.world,
    k8s: ctx.k8s,
    nodeSession: (n, t) => ctx.nodeSession(n, t),
    emit: (rec, truth, opts) => {
      const f = flagsOf(rec, truth);
      if (!f) return ctx.emit(rec, truth, opts);
      const flags = first.check(rec, truth) ? [...f, 'first-seen-api' as const] : f;
      ctx.emit(rec, { ...truth, flags, attack: true, attackId }, opts);
    },
  };
}

interface Step {
  dt: number;
  /** The first step may return false: the whole script retries a minute later. */
  run(t: number): boolean | void;
}

class RetryScript implements Actor {
  next: number;
  special = true;
  private i = 0;
  private tries = 0;

  constructor(private start: number, private readonly steps: Step[]) {
    this.next = start;
  }

  act(t: number): void {
    const ok = this.steps[this.i]!.run(t);
    if (this.i === 0 && ok === false) {
      this.start += 60_000;
      this.next = ++this.tries > 120 ? Infinity : this.start;
      return;
    }
    const s = this.steps[++this.i];
    this.next = s ? this.start + s.dt : Infinity;
  }
}

const CLI = (cmd: string): string => `aws-cli/2.15.30 Python/3.11.8 Linux/5.10.223-212.873.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/${cmd}`;

export class K8sAttacks {
  /** Attack id -> short description (filled as the scripts run). */
  readonly notes = new Map<string, string>();
  readonly first: FirstSeen;

  constructor(private readonly ctx: Ctx, private readonly k8s: K8sLog) {
    this.first = new FirstSeen(ctx);
  }

  /** Flags for the CloudTrail-only attacks of specials.ts. */
  stolenTokenCtx(): Ctx {
    this.notes.set('stolen-token', 'payments/payments-api projected token exchanged with AssumeRoleWithWebIdentity from an outside address with session name "x", then secrets read (payments-west, no audit logs).');
    return markedCtx(this.ctx, 'stolen-token', this.first, (rec) => (rec.eventName === 'AssumeRoleWithWebIdentity' ? ['token-exchange-outside-cluster'] : []));
  }

  stolenNodeCtx(): Ctx {
    this.notes.set('stolen-node-creds', `Instance-profile credentials of a ${this.k8s.cluster.name} node replayed from an outside host (Kali boto3).`);
    return markedCtx(this.ctx, 'stolen-node-creds', this.first, (_rec, truth) => (truth.mechanism === 'node-role' ? ['node-credentials-off-node'] : null));
  }

  actors(pods: PodActor[], admin: HumanActor): Actor[] {
    const c = this.k8s.cluster;
    const slot = (name: string): PodActor => pods.find((p) => p.w.name === name && p.w.cluster === c)!;
    return [this.zombie(slot('checkout-api'), admin), this.minted(slot('report-builder'), slot('checkout-api')), this.createKey(slot('orders-worker'))];
  }

  private at(frac: number): number {
    const w = this.ctx.world;
    return w.t0 + Math.floor(w.spanMs * frac);
  }

  /** The responder deletes a pod; the pod's IRSA session keeps calling from its node for four minutes. */
  private zombie(victim: PodActor, admin: HumanActor): Actor {
    const { ctx } = this;
    const mctx = markedCtx(ctx, 'zombie-session', this.first, () => ['credentials-after-pod-deleted']);
    let s: Session | null = null;
    let pod: RunningPod | null = null;
    const call = (t: number): void => {
      const w = victim.w;
      const out = pickAction(ctx.rng, w.mix, w.res);
      emitCall(mctx, t, s!, out, { ip: pod!.node.natIp, ua: SDKS[w.sdk].ua(out.eventSource.split('.')[0]!), region: w.cluster.region, errorP: 0 });
    };
    return new RetryScript(this.at(0.5), [
      { dt: 0, run: (t) => {
        const h = victim.hijack(t);
        if (!h) return false;
        ({ session: s, pod } = h);
        const human = ctx.world.humans[0]!;
        const role = human.roles[0]!;
        const key = admin.session(role, t).accessKeyId;
        const a = adminUser(role.account.id, role.arn, role.name, role.id, human.email, key);
        const d = victim.podGone(t + 1000, 'evicted', { ...a, ip: human.ip, attackId: 'zombie-session' });
        this.notes.set('zombie-session', `kubernetes-admin deleted pod ${pod.truth.namespace}/${pod.truth.name} at ${isoSec(d)}; its IRSA session (${s.accessKeyId}) keeps calling from node ${pod.node.instanceId} for four more minutes.`);
        return true;
      } },
      { dt: 50_000, run: call },
      { dt: 95_000, run: call },
      { dt: 160_000, run: call },
      { dt: 245_000, run: call },
    ]);
  }

  /** A compromised pod's service account mints a token for another SA and exchanges it from inside the cluster. */
  private minted(attacker: PodActor, target: PodActor): Actor {
    const { ctx, k8s } = this;
    const w = target.w;
    const mctx = markedCtx(ctx, 'minted-token', this.first, (rec) => (rec.eventName === 'AssumeRoleWithWebIdentity' ? ['token-minted-by-non-kubelet'] : []));
    let from: RunningPod | null = null;
    let s: Session | null = null;
    const call = (name: string, cmd: string): Step['run'] => (t) => {
      const out: ActionOut = ACTIONS[name]!(ctx.rng, w.res);
      emitCall(mctx, t, s!, out, { ip: from!.node.natIp, ua: CLI(cmd), region: w.cluster.region, errorP: 0 });
    };
    return new RetryScript(this.at(0.62), [
      { dt: 0, run: (t) => {
        from = attacker.wake(t);
        if (!from?.life) return false;
        const life = from.life;
        k8s.refreshTokens(life, t);
        const aw = attacker.w;
        const extra: Json = {
          'authentication.kubernetes.io/credential-id': [`JTI=${life.apiTokenJti}`],
          'authentication.kubernetes.io/node-name': [life.node.name],
          'authentication.kubernetes.io/node-uid': [life.node.uid],
          'authentication.kubernetes.io/pod-name': [life.name],
          'authentication.kubernetes.io/pod-uid': [life.uid],
        };
        const jti = ctx.rng.uuid();
        const e = k8s.push({
          t, level: 'RequestResponse', verb: 'create', uri: URI.token(w.namespace, w.serviceAccount), user: saUser(aw.namespace, aw.serviceAccount, k8s.saUid(aw.namespace, aw.serviceAccount), extra),
          ip: life.ip, ua: UA.kubectl, objectRef: tokenRef(w.namespace, w.serviceAccount), code: 201,
          requestObject: tokenRequest(['sts.amazonaws.com'], 3600, null), responseObject: tokenResponse(w.serviceAccount, w.namespace, t, ['sts.amazonaws.com'], 3600, null),
          reason: `RBAC: allowed by RoleBinding "${aw.serviceAccount}-token-minter/${w.namespace}" of Role "token-minter" to ServiceAccount "${aw.serviceAccount}/${aw.namespace}"`,
          annotations: { 'authentication.kubernetes.io/issued-credential-id': `JTI=${jti}` },
        }, 'minted-token');
        this.notes.set('minted-token', `${aw.namespace}/${aw.serviceAccount} (pod ${life.name}) minted a token for ${w.namespace}/${w.serviceAccount} (audit ${e.ev.auditID as string}) and exchanged it from its node's NAT address.`);
        return true;
      } },
      { dt: 35_000, run: (t) => {
        s = issueIrsa(mctx, t, {
          cluster: w.cluster, namespace: w.namespace, serviceAccount: w.serviceAccount, role: w.role!, sessionName: `botocore-session-${Math.floor(t / 1000)}`,
          ip: from!.node.natIp, ua: CLI('sts.assume-role-with-web-identity'), pod: from!.truth,
        });
      } },
      { dt: 58_000, run: call('sts:GetCallerIdentity', 'sts.get-caller-identity') },
      { dt: 81_000, run: call('secretsmanager:ListSecrets', 'secretsmanager.list-secrets') },
      { dt: 97_000, run: call('secretsmanager:GetSecretValue', 'secretsmanager.get-secret-value') },
      { dt: 112_000, run: call('secretsmanager:GetSecretValue', 'secretsmanager.get-secret-value') },
      { dt: 140_000, run: call('s3:ListBuckets', 's3.ls') },
    ]);
  }

  /** A workload's own session creates an IAM access key, an API its service account never calls. */
  private createKey(slot: PodActor): Actor {
    const { ctx } = this;
    const mctx = markedCtx(ctx, 'first-seen-api', this.first, () => []);
    return new RetryScript(this.at(0.7), [{ dt: 0, run: (t) => {
      const h = slot.hijack(t);
      if (!h) return false;
      const acct = ctx.world.accounts.workloads;
      const userName = 'svc-orders-backup';
      const out: ActionOut = {
        eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', readOnly: false, region: 'us-east-1', host: 'iam.amazonaws.com',
        requestParameters: { userName },
        responseElements: { accessKey: { userName, accessKeyId: ids.userKey(ctx.rng, acct.keyPrefix), status: 'Active', createDate: stsExpiration(t) } },
      };
      emitCall(mctx, t, h.session, out, { ip: h.pod.node.natIp, ua: SDKS[slot.w.sdk].ua('iam'), region: 'us-east-1', errorP: 0 });
      this.notes.set('first-seen-api', `${slot.w.namespace}/${slot.w.serviceAccount} (pod ${h.pod.truth.name}) called iam:CreateAccessKey for ${userName}.`);
      return true;
    } }]);
  }
}
