/**
 * End to end over many small generated bundles, each drawing its own cluster variety (VPC endpoints for some
 * services and NAT for the rest, NAT per AZ or per VPC, Pod Identity on some nodes only so that others never call
 * eks-auth, every SDK's session names): the rules must hold on bundles they were not tuned on, not only on two.
 *
 * Asserted on every bundle: nothing wrong while `proven`; named pods right (≥ 99.5 %); ambiguous answers list the
 * true pod (≥ 99 %); every planted detection fires (see below for the one exception); most calls of planted attacks are flagged; few flags are on
 * anything else. `npm run accuracy` prints the same figures over more seeds next to the targets.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateBundle } from '../generator';
import type { TruthRecord } from '../generator';
import { rates, scoreAttributions } from '../generator/accuracy';
import type { AttributionRecord } from '../../shared/attribution';
import { REPO } from '../helpers/reference';

const CLI = join(REPO, 'bin', 'podtrail.js');
const SEEDS = Array.from({ length: 20 }, (_, i) => 9001 + i);

function run(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 300_000, killSignal: 'SIGKILL' });
  if (r.status !== 0) throw new Error(`podtrail ${args[0]} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Longer bundles (5,000 events over 10 hours, as `npm run accuracy` draws them) on which a detection once flooded:
 * - 7106: the nodes of one cluster reach everything they call through VPC endpoints, so their own sessions show no
 *   public address but the one a thief used their credentials from; token-exchange-outside-cluster took the
 *   cluster's private addresses and that one for all it leaves from, and flagged every exchange through its NAT
 *   gateways and every call of those sessions (1,065 flags, 2.3 % of them right);
 * - 7112: a pod minted a token for its own service account (the attacker's, exchanged from outside); its own SDK's
 *   next exchange, from the pod's IP, took token-minted-by-non-kubelet to its whole session (24 flags, 1 right).
 */
const FLOODED = [7106, 7112];

/**
 * Bundles on which every call of every planted attack is flagged, each for a rule that a narrower one would lose:
 * - 7107 (5,000 events, 10 hours): a pod mints a token for its own service account and exchanges it at once from its
 *   node's NAT address; the minted token pairs with that exchange (the account's first after the mint), so its
 *   session's every call is flagged, while the pod's own later exchanges are not (7112 above);
 * - 5030 (4,000 events, 8 hours): a pod mints a token for another account, whose pods reach STS through a VPC
 *   endpoint, and exchanges it through the NAT: the cluster leaves by that address, but that account never does.
 * - 7110 (5,000 events, 10 hours): a pod mints a token for another account and exchanges it with the AWS CLI from its
 *   node's NAT address, while that account's pods are alive on nodes behind the same NAT: which pod made the exchange
 *   stays ambiguous, but none of the account's other exchanges was made with a person's tool, so the session is the
 *   minted token's and its secret reads are flagged (they were not before 2026-12-07).
 */
const FULL_RECALL: [number, number, number][] = [
  [7107, 5000, 10],
  [5030, 4000, 8],
  [7110, 5000, 10],
];

/**
 * Bundles on which a pod was named wrongly, with the floor of their right-pod rate:
 * - 7423 (5,000 events, 10 hours): two deployments share one service account on one node; a new pod's SDK exchanged
 *   its token at its first AWS call, 11 minutes after the kubelet's token request, and 8 s after that request the
 *   older pod's SDK refreshed a session 50 minutes old: the fresh token was paired with the refresh, the new pod named
 *   for it (19 calls, two sessions swapped; 76 % of the flags right). Their pods stay ambiguous (the bundle's
 *   right-pod rate is 81 %: one node, one NAT, one account for two deployments).
 * - 9002 (4,000 events, 8 hours): a rollout started three replicas on one node; two were handed their tokens 68 ms
 *   apart, and the earlier one's SDK exchanged 41 s later: the later token was paired with it, its pod named for 18
 *   calls. The exchange stays ambiguous (the bundle's right-pod rate is ~60 %: one node, one NAT for the rollout).
 * - 9307 (6,000 events, 12 hours): as 7423, but the new pod's first exchange came six minutes after its token, before
 *   the older pod's session expired, while that pod refreshed 32 s after the token: either exchange could be the
 *   refresh, and the token was paired with the refresh (3 calls).
 */
const NAMED_WRONG: [number, number, number, number][] = [
  [7423, 5000, 10, 0.75],
  [9002, 4000, 8, 0.55],
  [9307, 6000, 12, 0.95],
];

function checkSeed(seed: number, events: number, hours: number, minRecall = 0.8, minRight = 0.85, noneWrong = false): void {
  if (!existsSync(join(REPO, 'dist', 'electron', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-seeds-'));
  try {
    const g = generateBundle({ outDir: join(dir, 'bundle'), events, seed, k8s: true, hours });
    const db = join(dir, 'case.db');
    run(['ingest', g.outDir, '--case', db, '--quiet']);
    const attributions = run(['attribute', '--case', db]).trim().split('\n').map((l) => JSON.parse(l) as AttributionRecord);
    const truth = new Map(
      readFileSync(g.truthPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TruthRecord).map((t) => [t.eventID, t]),
    );
    const s = scoreAttributions(attributions, truth);
    const r = rates(s);
    expect(s.irsa).toBeGreaterThan(200);
    expect(s.wrongProven).toBe(0);
    expect(r.namedRight, s.examples.join('\n')).toBeGreaterThanOrEqual(0.995);
    // A bundle that once had pods named wrongly: none now (the rate alone would let 9307's three calls through).
    if (noneWrong) expect(s.wrong, s.examples.join('\n')).toBe(0);
    expect(r.ambiguousListsTruth, s.examples.join('\n')).toBeGreaterThanOrEqual(0.99);
    // Floors below the targets (95 % right pods, 90 % precise flags), at the lowest measured over these seeds:
    // the README reports the rates against the targets.
    expect(r.right).toBeGreaterThanOrEqual(minRight);
    // Every planted detection fires, except a deleted pod's credentials on a session left ambiguous with a replica
    // that still ran (the flag needs every candidate pod stopped: it never accuses a live pod).
    const byId = new Map(attributions.map((a) => [a.eventID, a]));
    expect(s.missed.filter((m) => !(m.flag === 'credentials-after-pod-deleted' && byId.get(m.eventID)?.confidence.pod === 'ambiguous'))).toEqual([]);
    // Target 80 %, met on every seed since 2026-12-07 (lowest 83.3 %: calls of a deleted pod's session left ambiguous
    // with a live replica; 75 % before a minted token's session exchanged with the AWS CLI was carried).
    expect(r.attackRecall).toBeGreaterThanOrEqual(minRecall);
    expect(r.flagPrecision).toBeGreaterThanOrEqual(0.8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('many generated bundles, each with its own cluster variety', () => {
  it.each(SEEDS)('seed %i: sound pod answers and precise detections', (seed) => checkSeed(seed, 2500, 6));
  it.each(FLOODED)('seed %i (10 hours): no flood of flags', (seed) => checkSeed(seed, 5000, 10));
  it.each(FULL_RECALL)('seed %i (%i events over %i hours): every call of every planted attack flagged', (seed, events, hours) => checkSeed(seed, events, hours, 1));
  it.each(NAMED_WRONG)('seed %i (%i events over %i hours): no pod named wrongly', (seed, events, hours, minRight) => checkSeed(seed, events, hours, 0.8, minRight, true));
});
