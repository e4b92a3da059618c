/**
 * The timeline: actors (pods, nodes, humans, CI, services, attackers) each act at their own pace; a heap
 * always runs the earliest one, so records come out in (near) time order and can be streamed to disk.
 */

import { ACTIONS, type ActionMix, type ActionOut, type ResourceCtx } from './catalog';
import { apiCall, errorFor, type Json } from './records';
import type { Rng } from './rng';
import { issueNode, type Ctx, type EmitOpts, type Session } from './sts';
import type { K8sLog } from './k8s-model';
import type { TruthBase } from './truth';
import type { Node, World } from './world';

export interface Actor {
  /** Epoch ms of the next action (Infinity: done). */
  next: number;
  /** One-shot scripted actors still run after the event budget is spent. */
  special?: boolean;
  act(t: number): void;
}

export interface Sink {
  readonly count: number;
  emit(rec: Json, truth: TruthBase, opts?: EmitOpts): void;
  /** No record earlier than `t` will be emitted any more. */
  advance(t: number): void;
}

class ActorHeap {
  private items: { a: Actor; seq: number; key: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }
  push(a: Actor): void {
    const it = { a, seq: this.seq++, key: a.next };
    const h = this.items;
    h.push(it);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Actor {
    const h = this.items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top.a;
  }
  peekKey(): number {
    return this.items[0]!.key;
  }
}

function less(x: { seq: number; key: number }, y: { seq: number; key: number }): boolean {
  return x.key < y.key || (x.key === y.key && x.seq < y.seq);
}

export class Scenario implements Ctx {
  private readonly nodeSessions = new Map<string, Session>();
  /** Kubernetes evidence recorder (option `k8s`); undefined keeps the CloudTrail-only behaviour. */
  k8s?: K8sLog;

  constructor(
    readonly rng: Rng,
    readonly world: World,
    private readonly sink: Sink,
  ) {}

  get count(): number {
    return this.sink.count;
  }

  emit(rec: Json, truth: TruthBase, opts?: EmitOpts): void {
    this.sink.emit(rec, truth, opts);
  }

  nodeSession(node: Node, t: number): Session {
    let s = this.nodeSessions.get(node.instanceId);
    if (!s || t >= s.refreshAt) {
      s = issueNode(this, node, t);
      this.nodeSessions.set(node.instanceId, s);
      this.k8s?.nodeSessionIssued(node, s);
    }
    return s;
  }

  /** Run until `target` records exist or the span ends; scripted one-shots still finish afterwards. */
  run(actors: Actor[], target: number): void {
    const heap = new ActorHeap();
    const end = this.world.t0 + this.world.spanMs;
    for (const a of actors) if (Number.isFinite(a.next)) heap.push(a);
    while (heap.size > 0) {
      const t = heap.peekKey();
      const a = heap.pop();
      const over = this.sink.count >= target || t >= end;
      if (over && !a.special) continue;
      this.sink.advance(t);
      a.act(t);
      if (Number.isFinite(a.next)) {
        if (a.next <= t) a.next = t + 1;
        heap.push(a);
      }
    }
  }
}

// ---- helpers shared by actors ----------------------------------------------------------------------

export function pickAction(rng: Rng, mix: ActionMix, res: ResourceCtx): ActionOut {
  const id = rng.weighted(mix);
  const fn = ACTIONS[id];
  if (!fn) throw new Error(`unknown action ${id}`);
  return fn(rng, res);
}

export interface CallOpts {
  ip: string;
  ua: string;
  region: string;
  vpce?: string;
  vpceAccount?: string;
  tls12?: boolean;
  noTls?: boolean;
  /** Chance the call fails (default 3 %). */
  errorP?: number;
  /** Force an error (scripted). */
  forceError?: boolean;
}

/** Emit one API call made with `s`; a successful GetSecretValue may bring the KMS Decrypt it triggers. */
export function emitCall(ctx: Ctx, t: number, s: Session, out: ActionOut, o: CallOpts): void {
  const { rng } = ctx;
  const failed = o.forceError || rng.chance(o.errorP ?? 0.03);
  const error = failed ? errorFor(rng, out, s.arn) : undefined;
  ctx.emit(apiCall(rng, {
    t, userIdentity: s.userIdentity, accountId: s.accountId, region: o.region, ip: o.ip, ua: o.ua, out, error,
    vpce: o.vpce, vpceAccount: o.vpceAccount, tls12: o.tls12, noTls: o.noTls,
  }), s.truth, { jsonlOk: true });
  if (!error && out.eventName === 'GetSecretValue' && rng.chance(0.5)) {
    const secretArn = (out.requestParameters as { secretId: string }).secretId;
    const region = secretArn.split(':')[3]!;
    ctx.emit(apiCall(rng, {
      t, userIdentity: { ...s.userIdentity, invokedBy: 'secretsmanager.amazonaws.com' }, accountId: s.accountId, region,
      ip: 'secretsmanager.amazonaws.com', ua: 'secretsmanager.amazonaws.com', noTls: true,
      out: {
        eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', readOnly: true,
        requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { SecretARN: secretArn, SecretVersionId: rng.uuid().toUpperCase() } },
        resources: [{ accountId: s.accountId, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${s.accountId}:key/${rng.uuid()}` }],
      },
    }), s.truth);
  }
}

/** Next action time for an actor doing `ratePerMs` actions per ms on average. */
export function nextAfter(rng: Rng, t: number, ratePerMs: number): number {
  if (!(ratePerMs > 0)) return Infinity;
  return t + Math.max(1, rng.exp(1 / ratePerMs));
}
