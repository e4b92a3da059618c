/**
 * A replica slot of a workload: runs one pod at a time (restarts, rollouts and node loss give it a new
 * name and uid, maybe on another node), fetches credentials lazily the way the SDKs do, and makes calls.
 */

import { ids } from './ids';
import { SDKS, type Workload } from './population';
import type { Rng } from './rng';
import { emitCall, nextAfter, pickAction, type Actor } from './scenario';
import { assumeRole, eksAuthCall, issueIrsa, issuePodIdentity, type Ctx, type Session, type Vpce } from './sts';
import { truths, type PodTruth } from './truth';
import type { GoneReason, PodLife } from './k8s-objects';
import type { Node } from './world';

export interface RunningPod {
  truth: PodTruth;
  node: Node;
  ip: string;
  rsHash: string;
  restartAt: number;
  /** Its audit-log life (k8s option, covered cluster only). */
  life?: PodLife | null;
  /** Its SDK's web-identity session name, for SDKs that name the session once per process. */
  sdkSession?: string;
}

/** How a pod reaches AWS: its own address through a VPC endpoint, or its node's NAT address. */
export interface Egress {
  ip: string;
  vpce?: Vpce;
}

export class PodActor implements Actor {
  next: number;
  pod: RunningPod | null = null;
  private root: Session | null = null;
  /** Time of the record being written: an issuance retry can push the action a second or two later. */
  private now = 0;
  private hops: (Session | null)[] = [];
  /** Other Pod Identity slots of the same cluster, for same-second eks-auth calls from two nodes. */
  peers: PodActor[] = [];
  /** k8s option: when the previous pod object was deleted, and the latest use of the current pod's credentials. */
  private goneAt = -Infinity;
  private lastUse = -Infinity;

  constructor(
    private readonly ctx: Ctx,
    readonly w: Workload,
    private readonly ratePerMs: number,
    /** DaemonSet pods are pinned to a node. */
    private readonly pinned: Node | null,
  ) {
    const rng = ctx.rng;
    const t0 = pinned ? Math.max(pinned.start, ctx.world.t0) : ctx.world.t0;
    this.next = t0 + (pinned ? 20_000 : 90_000) + rng.int(300_000);
  }

  private get rng(): Rng {
    return this.ctx.rng;
  }

  act(t: number): void {
    const w = this.w;
    const k8s = this.ctx.k8s;
    if (this.pinned && t >= this.pinned.end) {
      if (k8s && this.pod) this.podGone(t, 'node-gone');
      this.next = Infinity;
      return;
    }
    const p = this.pod;
    if (!p || t >= p.restartAt || t >= p.node.end || (t >= w.rolloutAt && p.rsHash !== w.nextRsHash)) {
      if (k8s && p) this.podGone(t, t >= p.node.end ? 'node-gone' : t >= p.restartAt ? 'restart' : 'rollout');
      if (!this.startPod(t)) {
        this.next = t + 60_000;
        return;
      }
    }
    const life = this.pod!.life;
    if (k8s && life && t < life.readyAt) {
      // The audit log has the pod created, bound, given its tokens and running before its first call.
      this.next = life.readyAt + k8s.rng.int(20_000);
      return;
    }
    this.now = t;
    this.call();
    this.lastUse = Math.max(this.lastUse, this.now);
    this.next = nextAfter(this.rng, this.now, this.ratePerMs);
  }

  /** k8s option: the current pod object is deleted (the slot then starts a new one). */
  podGone(t: number, reason: GoneReason, by?: Parameters<NonNullable<Ctx['k8s']>['podDeleted']>[4]): number {
    const p = this.pod!;
    const k8s = this.ctx.k8s!;
    const reasonT = reason === 'restart' ? p.restartAt : reason === 'rollout' ? this.w.rolloutAt : t;
    if (p.life) this.goneAt = k8s.podDeleted(p.life, reason, reasonT, this.lastUse + 1000, by);
    this.pod = null;
    this.lastUse = -Infinity;
    return this.goneAt;
  }

  /** k8s option: how this slot's pod reaches STS: its own address through the VPC's endpoint, or its node's NAT. */
  egress(): Egress {
    const p = this.pod!;
    const k8s = this.ctx.k8s;
    if (k8s?.viaEndpoint(this.w.cluster, 'sts')) return { ip: p.ip, vpce: k8s.vpce(this.w.cluster, 'sts') };
    return { ip: p.node.natIp };
  }

  /** k8s option: the slot's pod if it is running at `t` (created, ready, not deleted, its node up). */
  running(t: number): RunningPod | null {
    const p = this.pod;
    return p && p.life && t >= p.life.readyAt && t < p.node.end ? p : null;
  }

  /**
   * Scripted attacks: the running pod at `t`; when there is none (its node is gone, or a quiet slot never
   * replaced it), the slot starts one now and the caller retries once it is ready.
   */
  wake(t: number): RunningPod | null {
    const r = this.running(t);
    if (r || (this.pod?.life && t < this.pod.life.readyAt)) return r;
    if (this.pod) this.podGone(t, 'node-gone');
    this.startPod(t);
    return null;
  }

  /**
   * Scripted attacks: the running pod's root credentials at `t` (issuing them as the SDK would), or null
   * when no pod of the slot is running then.
   */
  hijack(t: number): { pod: RunningPod; session: Session } | null {
    const p = this.wake(t);
    if (!p) return null;
    this.now = t;
    const session = this.rootSession();
    this.lastUse = Math.max(this.lastUse, this.now);
    return { pod: p, session };
  }

  private startPod(t: number): boolean {
    const { rng, w } = this;
    const k8s = this.ctx.k8s;
    const alive = this.pinned ? [this.pinned] : w.cluster.nodes.filter((n) => n.start <= t && t < n.end && (!k8s || k8s.schedulable(w, n)));
    if (alive.length === 0) return false;
    const node = rng.pick(alive);
    const rsHash = t >= w.rolloutAt ? w.nextRsHash : w.rsHash;
    const name = w.daemonSet ? `${w.name}-${ids.podSuffix(rng)}` : `${w.name}-${rsHash}-${ids.podSuffix(rng)}`;
    const third = node.privateIp.split('.')[2];
    this.pod = {
      truth: { cluster: w.cluster.name, namespace: w.namespace, serviceAccount: w.serviceAccount, name, uid: rng.uuid(), instanceId: node.instanceId },
      node,
      ip: `10.${w.cluster.cidr}.${third}.${rng.between(4, 250)}`,
      rsHash,
      restartAt: t + Math.max(600_000, rng.exp(w.restartMeanMs)),
    };
    if (this.ctx.k8s) this.pod.life = this.ctx.k8s.podStarted(this.pod, w, this.goneAt, t);
    this.root = null;
    this.hops = w.chain.map(() => null);
    return true;
  }

  /** Root credentials of the pod, issued when missing or due (pods fetch lazily, at their next call). */
  private rootSession(): Session {
    let t = this.now;
    if (this.root && t < this.root.refreshAt) return this.root;
    const { w, rng } = this;
    const p = this.pod!;
    const { ip, vpce } = this.ctx.k8s ? this.egress() : { ip: p.node.natIp, vpce: undefined };
    if (w.variant === 'node') return this.ctx.nodeSession(p.node, t);
    if (w.variant === 'irsa') {
      const sdk = SDKS[w.sdk];
      // Without the k8s option, names stay per exchange: the default bundle keeps its bytes (see generator.test.ts).
      const sessionName =
        sdk.perProcess && this.ctx.k8s ? (p.sdkSession ??= sdk.irsaSession(Math.min(p.life?.sdkInitAt || t, t), rng)) : sdk.irsaSession(t, rng);
      const args = {
        cluster: w.cluster, namespace: w.namespace, serviceAccount: w.serviceAccount, role: w.role!, sessionName, ip, ua: SDKS[w.sdk].ua('sts'), pod: p.truth, vpce,
      };
      if (rng.chance(0.01)) {
        issueIrsa(this.ctx, t, { ...args, error: { code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' } });
        t += 1000;
      }
      this.root = issueIrsa(this.ctx, t, args);
    } else {
      if (rng.chance(0.01)) {
        eksAuthCall(this.ctx, p.node, t, { code: 'AccessDenied', message: 'Unauthorized Exception! EKS does not have permissions to assume the associated role.' });
        t += 2000;
      }
      this.issuePodIdentity(t);
      this.coRefresh(t);
    }
    this.hops = w.chain.map(() => null);
    this.now = Math.max(t, this.root!.issuedAt);
    return this.root!;
  }

  issuePodIdentity(t: number): void {
    const p = this.pod!;
    this.lastUse = Math.max(this.lastUse, t + 1000);
    const w = this.w;
    this.root = issuePodIdentity(this.ctx, t, {
      node: p.node, pod: p.truth, role: w.role!, tags: w.variant !== 'pi-notags', target: w.variant === 'pi-target' ? w.targetRole : null,
    });
  }

  /** Sometimes another pod on another node of the cluster refreshes in the same second: the node is ambiguous. */
  private coRefresh(t: number): void {
    if (!this.rng.chance(0.12)) return;
    const mine = this.pod!.node.instanceId;
    const others = this.peers.filter((o) => o.pod && o.pod.node.instanceId !== mine && t < o.pod.node.end && t < o.pod.restartAt &&
      (!o.pod.life || o.pod.life.readyAt <= t));
    if (others.length === 0) return;
    this.rng.pick(others).issuePodIdentity(t);
  }

  private hopSession(i: number): Session {
    const hop = this.w.chain[i]!;
    const parent = hop.from === -1 ? this.rootSession() : this.hopSession(hop.from);
    let t = this.now;
    const cur = this.hops[i];
    if (cur && t < cur.refreshAt && cur.issuedAt >= parent.issuedAt) return cur;
    const p = this.pod!;
    const w = this.w;
    const { ip, vpce } = this.ctx.k8s ? this.egress() : { ip: p.node.natIp, vpce: undefined };
    const args = {
      caller: parent, role: hop.role, sessionName: hop.sessionName, ip, ua: SDKS[w.sdk].ua('sts'),
      truthForNew: truths.irsa(p.truth, w.cluster.name, w.namespace, w.serviceAccount, true), region: w.cluster.region, vpce,
    };
    if (this.rng.chance(0.02)) {
      const on = ` on resource: ${hop.role.arn}`;
      assumeRole(this.ctx, t, { ...args, error: { code: 'AccessDenied', message: `User: ${parent.arn} is not authorized to perform: sts:AssumeRole${on}` } });
      t += 1000;
    }
    const s = assumeRole(this.ctx, t, args)!;
    this.hops[i] = s;
    this.now = t;
    return s;
  }

  private call(): void {
    const { w, rng } = this;
    const p = this.pod!;
    let hopIndex = -1;
    if (w.chain.length > 0) {
      let x = rng.next();
      for (let i = 0; i < w.chain.length; i++) {
        x -= w.chain[i]!.share;
        if (x < 0) {
          hopIndex = i;
          break;
        }
      }
    }
    const root = this.rootSession();
    const s = hopIndex >= 0 ? this.hopSession(hopIndex) : root;
    // A peer's same-second refresh may have issued our credentials a second ahead of this action.
    const t = (this.now = Math.max(this.now, s.issuedAt));
    const res = hopIndex >= 0 ? w.chain[hopIndex]!.res : w.variant === 'pi-target' ? w.targetRes! : w.res;
    const out = pickAction(rng, hopIndex >= 0 ? w.chain[hopIndex]!.mix : w.mix, res);
    const svc = out.eventSource.split('.')[0]!;
    // S3 from prod-east goes through the VPC gateway endpoint: the source is the pod's own VPC address.
    const s3Gateway = out.s3 === true && w.cluster.name === 'prod-east' && out.region === undefined;
    // k8s option: the cluster's VPC reaches some regional services through endpoints, the rest through NAT.
    const k8s = this.ctx.k8s;
    const viaVpce = s3Gateway || (k8s !== undefined && out.region === undefined && k8s.viaEndpoint(w.cluster, svc));
    emitCall(this.ctx, t, s, out, {
      ip: viaVpce ? p.ip : p.node.natIp,
      ua: SDKS[w.sdk].ua(svc),
      region: w.cluster.region,
      vpce: viaVpce ? (s3Gateway ? s3Vpce(w.cluster.name, this.ctx) : k8s!.vpce(w.cluster, svc).id) : undefined,
      vpceAccount: viaVpce && k8s ? w.cluster.account.id : undefined,
    });
  }
}

const vpceIds = new WeakMap<object, Map<string, string>>();

function s3Vpce(cluster: string, ctx: Ctx): string {
  let m = vpceIds.get(ctx.world);
  if (!m) vpceIds.set(ctx.world, (m = new Map()));
  let id = m.get(cluster);
  if (!id) m.set(cluster, (id = ids.vpce(ctx.rng)));
  return id;
}
