/**
 * `podtrail actor <principal|key>` (the reverse pivot) and the people in `trace`, `attribute --format csv` and
 * `--format timesketch`, on a generated bundle with kubectl users, CI deploys and a planted exec attack.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../helpers/csv';
import { generateBundle, type GenerateResult } from '../generator';
import type { ActorsTruth } from '../generator/k8s-people';
import { podtrail } from '../helpers/cli';

let dir: string;
let db: string;
let g: GenerateResult;
let actors: ActorsTruth;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-actor-cli-'));
  g = generateBundle({ outDir: join(dir, 'bundle'), events: 2500, seed: 7201, k8s: true, k8sActors: true, hours: 6 });
  actors = JSON.parse(readFileSync(g.k8s!.actorsPath!, 'utf8')) as ActorsTruth;
  db = join(dir, 'case.db');
  const r = await podtrail(['ingest', g.outDir, '--case', db, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('podtrail actor', () => {
  it('gives the attacker AWS calls and Kubernetes requests in one timeline, in time order', async () => {
    const r = await podtrail(['actor', actors.attack!.person, '--case', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Principals matching ${actors.attack!.person.replace(/\./g, '\\.')}:\\n  ${actors.attack!.person.replace(/\./g, '\\.')} via IAM Identity Center`));
    expect(r.stdout).toContain(`exec pod `);
    expect(r.stdout).toContain(actors.attack!.auditID);
    for (const x of actors.execDriven) expect(r.stdout).toContain(x.eventID);
    expect(r.stdout).toMatch(/via their exec session .* into the pod whose credentials made the call/);
    const j = await podtrail(['actor', actors.attack!.person, '--case', db, '--format', 'jsonl']);
    const entries = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ms: number; kind: string; id: string });
    expect(entries.some((e) => e.kind === 'kubernetes' && e.id === actors.attack!.auditID)).toBe(true);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.ms).toBeGreaterThanOrEqual(entries[i - 1]!.ms);
  });

  it('pivots from an access key to its root principal: the CI IAM user behind the chained deploy role', async () => {
    const deploy = actors.actions.find((a) => a.action === 'deploy' && a.person.includes(':user/'));
    expect(deploy).toBeDefined();
    const trace = await podtrail(['actor', 'github-actions-deployer', '--case', db, '--format', 'jsonl']);
    const entries = trace.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; id: string; accessKeyId: string | null; what: string });
    const k8s = entries.find((e) => e.kind === 'kubernetes' && e.id === deploy!.auditID)!;
    expect(k8s.what).toMatch(/^deploy deployment /);
    const byKey = await podtrail(['actor', k8s.accessKeyId!, '--case', db]);
    expect(byKey.code, byKey.stderr).toBe(0);
    expect(byKey.stdout).toContain(`  ${deploy!.person}\n`);
    expect(byKey.stdout).toContain(deploy!.auditID);
  });

  it('says so, exit 1, when no principal matches', async () => {
    const r = await podtrail(['actor', 'nobody-at-all@example.org', '--case', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no principal in this case matches nobody-at-all@example\.org/);
  });
});

describe('the people in trace and exports', () => {
  it('trace prints the actor and the pod actors of an exec-driven call', async () => {
    const id = actors.execDriven.at(-1)!.eventID;
    const r = await podtrail(['trace', id, '--case', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`  actor           ${actors.attack!.person.replace(/\./g, "\\.")} via IAM Identity Center .*\\[(inferred|ambiguous)\\]`));
    expect(r.stdout).toMatch(/  pod actor       \S+ exec pod /);
    expect(r.stdout).toContain('FLAG exec-then-credential-use');
  });

  it('csv has actor and podActors columns; timesketch flattens them', async () => {
    const id = actors.execDriven.at(-1)!.eventID;
    const [head, ...rows] = parseCsv((await podtrail(['attribute', '--case', db, '--format', 'csv'])).stdout);
    const csv = rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])));
    const row = csv.find((x) => x.eventID === id)!;
    expect(row.actor).toContain(actors.attack!.person);
    expect(row.podActors).toContain(actors.attack!.auditID);
    const ts = (await podtrail(['attribute', '--case', db, '--format', 'timesketch'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const ev = ts.find((x) => x.eventID === id)!;
    expect(ev.actor_principal).toEqual(expect.stringContaining(actors.attack!.person));
    expect(ev.actor_auditID).toBe(actors.attack!.auditID);
    expect(ev.podActors_auditIDs).toContain(actors.attack!.auditID);
    expect(String(ev.message)).toContain(`actor ${actors.attack!.person}`);
    const quiet = ts.find((x) => x.actor_principal === null)!;
    expect(Object.keys(quiet).filter((k) => k.startsWith('actor_'))).toEqual(['actor_principal', 'actor_auditID', 'actor_confidence', 'actor_why']);
  });
});
