/**
 * Option `k8sActors` (with `k8s`): the people and pipelines of the audited cluster, with truth.
 * - kubectl users: Identity Center sessions (the same `AWSReservedSSO_*` sessions their CloudTrail calls use) that
 *   list pods, read logs and exec into pods. EKS writes the IAM caller into `user.extra` as aws-iam-authenticator
 *   does (`arn`, `canonicalArn` — the role ARN without its path —, `sessionName`, `accessKeyId`, `principalId`);
 *   the username is the access entry's `arn:aws:sts::<acct>:assumed-role/<role>/{{SessionName}}` ('@' → '-').
 *   Exec sessions are long-running requests: logged at ResponseStarted and again at ResponseComplete when they end.
 * - CI deploys: each rollout is a pipeline run — the CI IAM user assumes `ci-deploy` (another account), which
 *   assumes `eks-deployer` (role chaining), which patches the Deployment; the deployment controller answers with the
 *   new ReplicaSet (ownerReferences to the Deployment), whose pods follow. Some rollouts are made by a person.
 * - A planted exec-then-read-secrets attack: a person execs into an IRSA pod and runs the AWS CLI there, which
 *   exchanges the pod's projected token and reads secrets; those calls are the person's (`<truth>.actors.json`).
 * - A planted human-minted token: a person mints a service account's token with `kubectl create token` and
 *   exchanges it from their own machine with the AWS CLI.
 * Everything random here draws from its own stream; off, nothing of this runs and bundles keep their bytes.
 */

import * as fs from 'node:fs';
import { ACTIONS, type ActionOut } from './catalog';
import { isoMicro, saUser, UA, controllerReason, type AuditArgs, type AuditEntry } from './k8s-audit';
import type { K8sLog } from './k8s-model';
import { tokenRequest, tokenResponse } from './k8s-objects';
import { markedCtx, type FirstSeen } from './k8s-attacks';
import type { HumanActor } from './actors';
import type { PodActor, RunningPod } from './pods';
import type { Human } from './population';
import type { Json } from './records';
import type { Rng } from './rng';
import { makeRole, type Role } from './roles';
import { emitCall, type Actor } from './scenario';
import { assumeRole, iamUserSession, issueIrsa, type Ctx, type Session } from './sts';
import { truths } from './truth';

const CLI_UA = (cmd: string): string => `aws-cli/2.15.30 Python/3.11.8 Linux/5.10.223-212.873.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/${cmd}`;
const CI_UA = (cmd: string): string => `aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 prompt/off command/${cmd}`;
const KUBECTL = ['kubectl/v1.29.3 (linux/amd64) kubernetes/6813625', 'kubectl/v1.31.0 (darwin/arm64) kubernetes/9edcffc'];

/** One action of the truth: who (a person: an SSO user's e-mail, or the CI IAM user's ARN) did what, by audit id. */
export interface ActionTruth {
  action: 'exec' | 'log' | 'deploy';
  auditID: string;
  person: string;
  /** exec/log: the pod; deploy: the ReplicaSet it made (its pods are `<replicaSet>-<5 characters>`). */
  podUid?: string;
  podName?: string;
  replicaSet?: string;
  namespace: string;
  startMs: number;
  endMs?: number;
}

export interface ActorsTruth {
  actions: ActionTruth[];
  /** CloudTrail records a person made through an exec session (the planted attack): eventID → person. */
  execDriven: { eventID: string; person: string }[];
  attack: { person: string; pod: string; auditID: string } | null;
  /** The planted exec whose CLI used the session the (Pod Identity) pod already held. */
  podSessionAttack?: { person: string; pod: string; auditID: string };
  /** The planted human-minted token: who minted it (audit event) for which service account. */
  humanMint?: { person: string; auditID: string; serviceAccount: string };
}

interface KubeIdentity {
  user: Json;
  reason: string;
  ip: string;
  person: string;
}

export class K8sPeople {
  readonly truth: ActorsTruth = { actions: [], execDriven: [], attack: null };
  private readonly deployer: Role;

  constructor(readonly ctx: Ctx, private readonly k8s: K8sLog, readonly rng: Rng, private readonly first: FirstSeen) {
    this.deployer = makeRole(rng, ctx.world.accounts.workloads, 'eks-deployer');
  }

  /** An Identity Center user's current session as aws-iam-authenticator hands it to the API server. */
  ssoIdentity(h: Human, actor: HumanActor, t: number): KubeIdentity {
    const role = h.roles.find((r) => r.account === this.ctx.world.accounts.workloads) ?? h.roles[0]!;
    const s = actor.session(role, t);
    return { ...kubeUser(role, h.email, s.accessKeyId, 'AmazonEKSClusterAdminPolicy'), ip: h.ip, person: h.email };
  }

  actors(pods: PodActor[], humans: HumanActor[]): Actor[] {
    const w = this.ctx.world;
    const c = this.k8s.cluster;
    const mine = pods.filter((p) => p.w.cluster === c && !p.w.daemonSet);
    const out: Actor[] = [];
    // kubectl users: alice (admin) lists pods, reads logs and execs into pods to debug; bob (read-only) reads logs.
    out.push(new KubectlUser(this, w.humans[0]!, humans[0]!, mine, 35 * 60_000, 0.45));
    out.push(new KubectlUser(this, w.humans[1]!, humans[1]!, mine, 50 * 60_000, 0));
    // CI deploys: one pipeline run per rollout of the audited cluster's deployments (a quarter of them by alice).
    const rollouts = new Map<string, PodActor['w']>();
    for (const p of mine) if (Number.isFinite(p.w.rolloutAt) && p.w.rolloutAt < w.t0 + w.spanMs) rollouts.set(`${p.w.namespace}/${p.w.name}`, p.w);
    for (const wl of rollouts.values()) {
      const byHand = this.rng.chance(0.25);
      out.push(once(wl.rolloutAt - this.rng.between(20_000, 90_000), (t) => this.deploy(t, wl, byHand ? { h: w.humans[0]!, a: humans[0]! } : null)));
    }
    // The planted attack: dave's session execs into an IRSA pod whose service account nobody else uses from a CLI.
    const minted = new Set(['checkout-api', 'report-builder', 'orders-worker']);
    const busy = new Set(mine.filter((p) => minted.has(p.w.name)).map((p) => `${p.w.namespace}/${p.w.serviceAccount}`));
    const target = mine.find((p) => p.w.variant === 'irsa' && !minted.has(p.w.name) && !busy.has(`${p.w.namespace}/${p.w.serviceAccount}`));
    if (target) out.push(this.execAttack(target, w.humans[3]!, humans[3]!));
    const piTarget = mine.find((p) => p.w.variant === 'pi' && !busy.has(`${p.w.namespace}/${p.w.serviceAccount}`));
    if (piTarget) out.push(this.execAttack(piTarget, w.humans[3]!, humans[3]!, 'pod-session'));
    // A person mints a service account's token with kubectl and exchanges it from their own machine.
    const minting = mine.find((p) => p.w.variant === 'irsa' && p !== target && !busy.has(`${p.w.namespace}/${p.w.serviceAccount}`) && p.w.serviceAccount !== target?.w.serviceAccount);
    if (minting) out.push(this.humanMint(minting.w, w.humans[0]!, humans[0]!));
    return out;
  }

  /** `kubectl create token <sa> --audience sts.amazonaws.com` by a person, exchanged from their laptop with the AWS CLI. */
  private humanMint(wl: PodActor['w'], h: Human, actor: HumanActor): Actor {
    const { ctx } = this;
    const id = 'human-minted-token';
    const mctx = markedCtx(ctx, id, this.first, (rec) => ((rec.userIdentity as Json | undefined)?.invokedBy ? null : ['human-minted-token', 'token-exchange-outside-cluster']));
    const at = ctx.world.t0 + Math.floor(ctx.world.spanMs * (0.6 + 0.1 * this.rng.next()));
    let s: Session | null = null;
    const ua = (cmd: string) => `aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/${cmd}`;
    const call = (name: string, cmd: string) => (t: number) => {
      if (s) emitCall(mctx, t, s, ACTIONS[name]!(ctx.rng, wl.res), { ip: h.ip, ua: ua(cmd), region: wl.cluster.region, errorP: 0 });
    };
    const steps: [number, (t: number) => void][] = [
      [0, (t) => {
        const who = this.ssoIdentity(h, actor, t);
        const e = this.push(who, {
          t, level: 'RequestResponse', verb: 'create', uri: `/api/v1/namespaces/${wl.namespace}/serviceaccounts/${wl.serviceAccount}/token`,
          objectRef: { resource: 'serviceaccounts', namespace: wl.namespace, name: wl.serviceAccount, apiVersion: 'v1', subresource: 'token' }, code: 201,
          requestObject: tokenRequest(['sts.amazonaws.com'], 3600, null), responseObject: tokenResponse(wl.serviceAccount, wl.namespace, t, ['sts.amazonaws.com'], 3600, null),
        }, undefined, id);
        this.truth.humanMint = { person: h.email, auditID: e.ev.auditID as string, serviceAccount: `${wl.namespace}/${wl.serviceAccount}` };
      }],
      [40_000, (t) => {
        s = issueIrsa(mctx, t, {
          cluster: wl.cluster, namespace: wl.namespace, serviceAccount: wl.serviceAccount, role: wl.role!, sessionName: `${h.email.split('@')[0]}-debug`,
          ip: h.ip, ua: ua('sts.assume-role-with-web-identity'), pod: null,
        });
      }],
      [70_000, call('sts:GetCallerIdentity', 'sts.get-caller-identity')],
      [95_000, call('s3:ListBuckets', 's3.ls')],
    ];
    let i = 0;
    return {
      next: at,
      special: true,
      act(t: number) {
        steps[i]![1](t);
        i++;
        this.next = i < steps.length ? at + steps[i]![0] : Infinity;
      },
    };
  }

  /** A kubectl request by `who` (one audit event; long-running ones get their ResponseComplete at `end`). */
  push(who: KubeIdentity, a: Omit<AuditArgs, 'user' | 'ip' | 'reason' | 'ua'> & { ua?: string }, end?: number, attackId?: string): AuditEntry {
    const e = this.k8s.push({ ...a, user: who.user, ip: who.ip, reason: who.reason, ua: a.ua ?? KUBECTL[0]! }, attackId);
    if (end !== undefined) {
      e.ev.stage = 'ResponseStarted';
      const done: AuditEntry = { t: end, ev: { ...e.ev, stage: 'ResponseComplete', stageTimestamp: isoMicro(end, this.rng.int(1000)) } };
      // Same key order as the API server writes: annotations last.
      const { annotations, ...rest } = done.ev as Record<string, Json>;
      done.ev = { ...rest, annotations: annotations! };
      this.k8s.audit.push(done);
      if (end > this.k8s.lastT) this.k8s.lastT = end;
      if (attackId) this.k8s.attackAudit.get(attackId)?.push(done);
    }
    return e;
  }

  listPods(who: KubeIdentity, t: number, ns: string): void {
    this.push(who, { t, level: 'Metadata', verb: 'list', uri: `/api/v1/namespaces/${ns}/pods?limit=500`, objectRef: { resource: 'pods', namespace: ns, apiVersion: 'v1' }, code: 200 });
  }

  logs(who: KubeIdentity, t: number, p: RunningPod): void {
    const e = this.push(who, {
      t, level: 'Metadata', verb: 'get', uri: `/api/v1/namespaces/${p.truth.namespace}/pods/${p.truth.name}/log?container=${p.truth.name.split('-')[0]}&tailLines=200`,
      objectRef: { resource: 'pods', namespace: p.truth.namespace, name: p.truth.name, apiVersion: 'v1', subresource: 'log' }, code: 200,
    });
    this.truth.actions.push({ action: 'log', auditID: e.ev.auditID as string, person: who.person, podUid: p.truth.uid, podName: p.truth.name, namespace: p.truth.namespace, startMs: t });
  }

  exec(who: KubeIdentity, t: number, p: RunningPod, durationMs: number, attackId?: string): string {
    const ws = this.rng.chance(0.5); // kubectl ≥ 1.30 execs over WebSockets (verb get); older ones POST (create)
    const ns = p.truth.namespace;
    const e = this.push(who, {
      t, level: 'Metadata', verb: ws ? 'get' : 'create', ua: KUBECTL[ws ? 1 : 0],
      uri: `/api/v1/namespaces/${ns}/pods/${p.truth.name}/exec?command=sh&container=${p.truth.name.split('-')[0]}&stdin=true&stdout=true&tty=true`,
      objectRef: { resource: 'pods', namespace: ns, name: p.truth.name, apiVersion: 'v1', subresource: 'exec' }, code: 101,
    }, t + durationMs, attackId);
    const auditID = e.ev.auditID as string;
    this.truth.actions.push({ action: 'exec', auditID, person: who.person, podUid: p.truth.uid, podName: p.truth.name, namespace: ns, startMs: t, endMs: t + durationMs });
    return auditID;
  }

  /** A rollout: the Deployment patched (by the CI pipeline's chained deploy role, or by hand), then its new ReplicaSet. */
  private deploy(t: number, wl: PodActor['w'], byHand: { h: Human; a: HumanActor } | null): void {
    const { ctx, k8s, rng } = this;
    const ci = ctx.world.ci;
    let who: KubeIdentity;
    if (byHand) who = this.ssoIdentity(byHand.h, byHand.a, t);
    else {
      const ip = rng.pick(ci.ips);
      const user = iamUserSession(ci.userName, ci.arn, ci.userId, ci.accessKeyId, ci.account.id);
      const run = `${rng.between(7_000_000_000, 9_999_999_999)}`;
      const deploy = assumeRole(ctx, t, { caller: user, role: ci.deployRole, sessionName: 'GitHubActions', ip, ua: CI_UA('sts.assume-role'), truthForNew: truths.iamUser() })!;
      const eks = assumeRole(ctx, t + rng.between(1_000, 3_000), {
        caller: deploy, role: this.deployer, sessionName: `gha-${run}`, ip, ua: CI_UA('sts.assume-role'), truthForNew: { ...truths.iamUser(), chained: true },
      })!;
      emitCall(ctx, t + 4_000, eks, ACTIONS['eks:DescribeCluster']!(rng, { ...ci.deployRes, cluster: k8s.cluster.name }), { ip, ua: CI_UA('eks.update-kubeconfig'), region: k8s.cluster.region, errorP: 0 });
      who = { ...kubeUser(this.deployer, `gha-${run}`, eks.accessKeyId, 'AmazonEKSEditPolicy'), ip, person: ci.arn };
    }
    const tp = t + 8_000 + rng.between(0, 4_000);
    const ns = wl.namespace;
    const image = `${ctx.world.accounts.workloads.id}.dkr.ecr.${k8s.cluster.region}.amazonaws.com/${wl.name}:${rng.hex(7)}`;
    const patch = this.push(who, {
      t: tp, level: 'RequestResponse', verb: 'patch', uri: `/apis/apps/v1/namespaces/${ns}/deployments/${wl.name}?fieldManager=kubectl-set&fieldValidation=Strict`,
      objectRef: { resource: 'deployments', namespace: ns, name: wl.name, apiGroup: 'apps', apiVersion: 'v1' }, code: 200,
      requestObject: { spec: { template: { spec: { containers: [{ name: wl.name, image }] } } } },
    });
    const rsName = `${wl.name}-${wl.nextRsHash}`;
    const dep = k8s.deploymentUid(ns, wl.name);
    const rsUid = k8s.replicaSetUid(wl.name, wl.nextRsHash);
    const rsObject: Json = {
      kind: 'ReplicaSet', apiVersion: 'apps/v1',
      metadata: {
        name: rsName, namespace: ns, uid: rsUid, creationTimestamp: new Date(patch.t).toISOString().slice(0, 19) + 'Z',
        labels: { app: wl.name, 'pod-template-hash': wl.nextRsHash },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: wl.name, uid: dep, controller: true, blockOwnerDeletion: true }],
      },
      spec: { replicas: wl.replicas, selector: { matchLabels: { app: wl.name, 'pod-template-hash': wl.nextRsHash } } },
    };
    k8s.push({
      t: patch.t + rng.between(20, 300), level: 'RequestResponse', verb: 'create', uri: `/apis/apps/v1/namespaces/${ns}/replicasets`,
      user: saUser('kube-system', 'deployment-controller', k8s.saUid('kube-system', 'deployment-controller')), ip: k8s.controlPlaneIp,
      ua: UA.controller(k8s.version, 'deployment-controller'), objectRef: { resource: 'replicasets', namespace: ns, apiGroup: 'apps', apiVersion: 'v1' }, code: 201,
      requestObject: rsObject, responseObject: rsObject, reason: controllerReason('deployment-controller'),
    });
    this.truth.actions.push({ action: 'deploy', auditID: patch.ev.auditID as string, person: who.person, replicaSet: rsName, namespace: ns, startMs: tp });
  }

  /**
   * The planted attacks: exec into a pod, then the AWS CLI there reads secrets — `exchange`: it exchanges the IRSA
   * pod's projected token itself (a new session); `pod-session`: it gets the credentials the pod already holds (a
   * Pod Identity pod's agent hands the CLI the same cached session as the workload's SDK).
   */
  private execAttack(slot: PodActor, h: Human, actor: HumanActor, mode: 'exchange' | 'pod-session' = 'exchange'): Actor {
    const { ctx, k8s } = this;
    const wl = slot.w;
    const id = mode === 'exchange' ? 'exec-secrets' : 'exec-pod-session';
    const records: string[] = [];
    const mctx = markedCtx(ctx, id, this.first, (rec) => ((rec.userIdentity as Json | undefined)?.invokedBy ? null : ['exec-then-credential-use']));
    const rctx: Ctx = { ...mctx, emit: (rec, truth, opts) => {
      if (!(rec.userIdentity as Json | undefined)?.invokedBy) records.push(rec.eventID as string);
      mctx.emit(rec, truth, opts);
    } };
    let pod: RunningPod | null = null;
    let s: Session | null = null;
    const via = (svc: string): { ip: string; vpce?: string } =>
      k8s.viaEndpoint(wl.cluster, svc) ? { ip: pod!.ip, vpce: k8s.vpce(wl.cluster, svc).id } : { ip: pod!.node.natIp };
    const call = (name: string, cmd: string) => (t: number) => {
      if (!s) return;
      const out: ActionOut = ACTIONS[name]!(ctx.rng, wl.res);
      const svc = out.eventSource.split('.')[0]!;
      emitCall(rctx, t, s, out, { ...via(svc), ua: CLI_UA(cmd), region: wl.cluster.region, errorP: 0 });
    };
    const start = ctx.world.t0 + Math.floor(ctx.world.spanMs * (mode === 'exchange' ? 0.35 + 0.2 * this.rng.next() : 0.15 + 0.15 * this.rng.next()));
    let t0 = start;
    const steps: [number, (t: number) => boolean | void][] = [
      [0, (t) => {
        pod = slot.wake(t);
        if (!pod?.life) return false;
        // A pod that runs through the whole session (no restart, rollout or node loss before it ends): a deleted
        // pod's exec session ends with its containers.
        const until = t + 200_000;
        if (pod.restartAt <= until || pod.node.end <= until || (wl.rolloutAt <= until && pod.rsHash !== wl.nextRsHash)) return false;
        t0 = t;
        const who = this.ssoIdentity(h, actor, t);
        this.listPods(who, t - 40_000, pod.truth.namespace);
        const auditID = this.exec(who, t, pod, 150_000, id);
        if (mode === 'exchange') this.truth.attack = { person: h.email, pod: pod.truth.name, auditID };
        else this.truth.podSessionAttack = { person: h.email, pod: pod.truth.name, auditID };
        return true;
      }],
      [20_000, (t) => {
        if (mode === 'pod-session') {
          const held = slot.hijack(t);
          s = held && held.pod === pod ? held.session : null;
          return;
        }
        const e = via('sts');
        s = issueIrsa(rctx, t, {
          cluster: wl.cluster, namespace: wl.namespace, serviceAccount: wl.serviceAccount, role: wl.role!, sessionName: `botocore-session-${Math.floor(t / 1000)}`,
          ip: e.ip, ua: CLI_UA('sts.get-caller-identity'), pod: pod!.truth, vpce: e.vpce ? k8s.vpce(wl.cluster, 'sts') : undefined,
        });
      }],
      [21_000, call('sts:GetCallerIdentity', 'sts.get-caller-identity')],
      [55_000, call('secretsmanager:ListSecrets', 'secretsmanager.list-secrets')],
      [80_000, call('secretsmanager:GetSecretValue', 'secretsmanager.get-secret-value')],
      [96_000, call('secretsmanager:GetSecretValue', 'secretsmanager.get-secret-value')],
      [130_000, () => {
        for (const eventID of records) this.truth.execDriven.push({ eventID, person: h.email });
      }],
    ];
    let i = 0;
    let tries = 0;
    return {
      next: start,
      special: true,
      act(t: number) {
        const ok = steps[i]![1](t);
        if (i === 0 && ok === false) {
          this.next = ++tries > 120 ? Infinity : t + 60_000;
          return;
        }
        i++;
        this.next = i < steps.length ? t0 + steps[i]![0] : Infinity;
      },
    };
  }

  write(path: string): void {
    fs.writeFileSync(path, JSON.stringify(this.truth, null, 1) + '\n');
  }
}

/** The Kubernetes user of an IAM role session, as the EKS authenticator and an access entry make it. */
function kubeUser(role: Role, sessionName: string, accessKeyId: string, policy: string): { user: Json; reason: string } {
  const acct = role.account.id;
  const username = `arn:aws:sts::${acct}:assumed-role/${role.name}/${sessionName.replace(/@/g, '-')}`;
  return {
    user: {
      username,
      uid: `aws-iam-authenticator:${acct}:${role.id}`,
      groups: ['system:authenticated'],
      extra: {
        accessKeyId: [accessKeyId],
        arn: [`arn:aws:sts::${acct}:assumed-role/${role.name}/${sessionName}`],
        canonicalArn: [`arn:aws:iam::${acct}:role/${role.name}`],
        principalId: [`${role.id}:${sessionName}`],
        sessionName: [sessionName],
      },
    },
    reason: `EKS Access Policy: allowed by ClusterRoleBinding "arn:aws:iam::${acct}:role/${role.name}+arn:aws:eks::aws:cluster-access-policy/${policy}" of ClusterRole "arn:aws:eks::aws:cluster-access-policy/${policy}" to User "${username}"`,
  };
}

function once(at: number, run: (t: number) => void): Actor {
  return {
    next: at,
    special: true,
    act(t: number) {
      run(t);
      this.next = Infinity;
    },
  };
}

/** An Identity Center user working with kubectl: list pods, read a pod's logs, sometimes exec into it to debug. */
class KubectlUser implements Actor {
  next: number;

  constructor(
    private readonly people: K8sPeople,
    private readonly h: Human,
    private readonly actor: HumanActor,
    private readonly pods: PodActor[],
    private readonly meanGapMs: number,
    private readonly execP: number,
  ) {
    this.next = people.ctx.world.t0 + 20 * 60_000 + people.rng.int(meanGapMs);
  }

  act(t: number): void {
    const rng = this.people.rng;
    const w = this.people.ctx.world;
    if (t >= w.t0 + w.spanMs - 30 * 60_000) {
      this.next = Infinity;
      return;
    }
    const running = this.pods.map((p) => p.running(t)).filter((p): p is RunningPod => p !== null && !!p.life);
    if (running.length > 0) {
      const p = rng.pick(running);
      const who = this.people.ssoIdentity(this.h, this.actor, t);
      this.people.listPods(who, t, p.truth.namespace);
      this.people.logs(who, t + rng.between(5_000, 20_000), p);
      if (rng.chance(this.execP)) this.people.exec(who, t + rng.between(25_000, 60_000), p, rng.between(60_000, 360_000));
    }
    this.next = t + Math.max(5 * 60_000, rng.exp(this.meanGapMs));
  }
}
