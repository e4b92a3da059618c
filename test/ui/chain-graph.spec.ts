/**
 * The chain graph as drawn in Chromium, on a generated bundle with EKS audit logs, kubectl users and CI deploys
 * (its own case and server: the demo case has no audit log):
 * - Issue 17: a service account → pod edge runs straight from the service account's box to its pod's, never as a
 *   turn along (through) the cluster box — read from the rendered edge geometry (cytoscape's own instance, which it
 *   registers on its container).
 * - Issue 15: past the pod, an event whose pod a person exec'd into draws pod → exec → the person → the key their
 *   kubectl requests carried → its chain to the root; clicking the person → key step lists its records (the audit
 *   events that name the key), each openable with its file, record index and SHA-256, under one confidence word. A CI
 *   deploy draws the chained deploy role down to the IAM user.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { checkGuards, guard, openEvent, waitForCase } from './app';
import { attributions, generatedCase, serveCase, stopServed, type Served } from './serve';
import { checkStepEvidence } from './steps';
import type { AttributionRecord } from '../../shared/attribution';
import type { PeopleView } from '../../shared/api';
import { selectPeople } from '../../shared/people';

let dir = '';
let server: Served | null = null;
let url = '';
let all: AttributionRecord[] = [];

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podtrail-ui-graph-'));
  const db = generatedCase(dir, ['--events', '3000', '--seed', '7101', '--hours', '6', '--k8s-actors']);
  all = attributions(db);
  server = await serveCase(db);
  url = server.url;
});

test.afterAll(async () => {
  await stopServed(server);
  rmSync(dir, { recursive: true, force: true });
});

const allowed = () => [`${new URL(url).origin}/`, `blob:${new URL(url).origin}/`, 'data:'];

interface Pt {
  x: number;
  y: number;
}
interface Bb {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}
interface Drawn {
  nodes: Record<string, Bb>;
  edges: { id: string; source: string; target: string; curve: string; path: Pt[] }[];
}

/** The drawing as cytoscape laid it out (model coordinates): node boxes, and each edge's path from end to end. */
function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    type El = { id(): string; boundingBox(o: object): { x1: number; y1: number; x2: number; y2: number } };
    type Edge = El & { source(): El; target(): El; style(p: string): string; sourceEndpoint(): Pt; targetEndpoint(): Pt; segmentPoints(): Pt[] | undefined; controlPoints(): Pt[] | undefined };
    type Pt = { x: number; y: number };
    const box = document.querySelector('[data-testid="chain-graph"]') as HTMLElement & { _cyreg?: { cy?: { nodes(): El[]; edges(): Edge[] } } };
    const cy = box._cyreg?.cy;
    if (!cy) throw new Error('cytoscape registers its instance on its container (_cyreg.cy): not found');
    const nodes: Record<string, { x1: number; y1: number; x2: number; y2: number }> = {};
    for (const n of cy.nodes()) {
      const b = n.boundingBox({ includeLabels: false, includeOverlays: false });
      nodes[n.id()] = { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 };
    }
    return {
      nodes,
      edges: cy.edges().map((e) => ({
        id: e.id(),
        source: e.source().id(),
        target: e.target().id(),
        curve: e.style('curve-style'),
        path: [e.sourceEndpoint(), ...(e.style('curve-style') === 'taxi' ? (e.segmentPoints() ?? []) : (e.controlPoints() ?? [])), e.targetEndpoint()],
      })),
    };
  });
}

/** How far a point is from a box's border (0 on it), and whether it is within `m` px of the box. */
const near = (p: Pt, b: Bb, m: number) => p.x >= b.x1 - m && p.x <= b.x2 + m && p.y >= b.y1 - m && p.y <= b.y2 + m;
const toBorder = (p: Pt, b: Bb) => {
  const inside = p.x >= b.x1 && p.x <= b.x2 && p.y >= b.y1 && p.y <= b.y2;
  const dx = Math.max(b.x1 - p.x, 0, p.x - b.x2);
  const dy = Math.max(b.y1 - p.y, 0, p.y - b.y2);
  return inside ? Math.min(p.x - b.x1, b.x2 - p.x, p.y - b.y1, b.y2 - p.y) : Math.hypot(dx, dy);
};
const length = (path: Pt[]) => path.slice(1).reduce((s, p, i) => s + Math.hypot(p.x - path[i]!.x, p.y - path[i]!.y), 0);
function along(path: Pt[]): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const [a, b] = [path[i]!, path[i + 1]!];
    const n = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y)));
    for (let k = 0; k <= n; k++) out.push({ x: a.x + ((b.x - a.x) * k) / n, y: a.y + ((b.y - a.y) * k) / n });
  }
  return out;
}

/** Every service account → pod edge: its ends on the two boxes, its path straight between them and clear of the cluster box. */
function checkServiceAccountToPod(d: Drawn, where: string): number {
  const toPods = d.edges.filter((e) => e.source === 'sa' && /^pod(:|$)/.test(e.target));
  for (const e of toPods) {
    const [src, tgt] = [e.path[0]!, e.path[e.path.length - 1]!];
    expect(toBorder(src, d.nodes.sa!), `${where} ${e.id}: starts on the service account's box`).toBeLessThanOrEqual(3);
    expect(toBorder(tgt, d.nodes[e.target]!), `${where} ${e.id}: ends on the pod's box`).toBeLessThanOrEqual(3);
    // Straight: no turn, no detour (a turn between rows was ~1.3× the distance).
    expect(e.curve, `${where} ${e.id}`).not.toBe('taxi');
    expect(length(e.path) / Math.hypot(tgt.x - src.x, tgt.y - src.y), `${where} ${e.id}: a direct path`).toBeLessThan(1.05);
    // Not along or through the cluster box (nor any other box but its ends).
    for (const [id, b] of Object.entries(d.nodes)) {
      if (id === 'sa' || id === e.target) continue;
      expect(along(e.path).filter((p) => near(p, b, 3)).length, `${where} ${e.id} runs along ${id}`).toBe(0);
    }
  }
  return toPods.length;
}

for (const size of [
  { width: 1280, height: 800 },
  { width: 1440, height: 900 },
]) {
  test(`service account → pod edges run straight to the pod, clear of the cluster box (${size.width}×${size.height})`, async ({ page }) => {
    await page.setViewportSize(size);
    const kinds: [string, (a: AttributionRecord) => boolean][] = [
      ['the IRSA exchange itself', (a) => a.eventName === 'AssumeRoleWithWebIdentity' && a.mechanism === 'irsa' && a.confidence.pod === 'inferred' && !!a.node?.instanceId],
      ['an IRSA call narrowed to its pod', (a) => a.mechanism === 'irsa' && a.eventName !== 'AssumeRoleWithWebIdentity' && a.confidence.pod === 'inferred' && !a.podActors?.length],
      ['an IRSA call left ambiguous between pods', (a) => a.mechanism === 'irsa' && a.confidence.pod === 'ambiguous' && a.candidates.length > 1],
      ['a Pod Identity call', (a) => a.mechanism === 'pod-identity' && a.confidence.pod === 'proven' && !a.chained],
    ];
    const guards = guard(page);
    await page.goto(url);
    await waitForCase(page);
    for (const [what, pred] of kinds) {
      const ev = all.find(pred);
      expect(ev, what).toBeDefined();
      await openEvent(page, ev!.eventID);
      await expect.poll(async () => (await drawn(page)).nodes.sa !== undefined, { message: `${what}: drawn` }).toBe(true);
      // (drawn once the trace is in, again when the people behind the pod are)
      await expect(async () => {
        const d = await drawn(page);
        expect(d.nodes.cluster, `${what}: a cluster box`).toBeDefined();
        expect(checkServiceAccountToPod(d, `${what} (${ev!.eventID})`)).toBeGreaterThan(0);
      }).toPass({ timeout: 10_000 });
    }
    await page.getByTestId('chain-graph').screenshot({ path: `test-results/ui/graph-sa-pod-${size.width}.png` });
    await checkGuards(page, guards, allowed());
  });
}

/** `trace.people` as the app asks for it. */
async function peopleOf(page: Page, eventID: string): Promise<PeopleView> {
  const u = new URL(url);
  const res = await page.request.post(`${u.origin}/api/trace.people`, { headers: { Authorization: `Bearer ${u.searchParams.get('token')}` }, data: { target: eventID } });
  const body = (await res.json()) as { ok: boolean; value: PeopleView };
  expect(body.ok).toBe(true);
  return body.value;
}

/** Click an edge where it is drawn on the canvas (its midpoint), and wait for its evidence. */
async function clickEdge(page: Page, id: string): Promise<void> {
  const at = await page.evaluate((edgeId) => {
    const box = document.querySelector('[data-testid="chain-graph"]') as HTMLElement & { _cyreg?: { cy?: { getElementById(i: string): { renderedMidpoint(): { x: number; y: number } } } } };
    const r = box.getBoundingClientRect();
    const m = box._cyreg!.cy!.getElementById(edgeId).renderedMidpoint();
    return { x: r.left + m.x, y: r.top + m.y };
  }, id);
  await page.mouse.click(at.x, at.y);
  await expect(page.locator('[data-testid="graph-selection"]')).toHaveAttribute('data-selected', id);
}

const nodeIds = async (page: Page) => Object.keys((await drawn(page)).nodes);

test('past the pod: an exec by an Identity Center user draws the exec, the person and their own credential chain; each step lists its records', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const ev = all.find((a) => a.actor && a.podActors?.some((p) => p.action === 'exec' && p.auditID === a.actor!.auditID && p.accessKeyId));
  expect(ev, 'an event whose pod a person exec-ed into, their session the likely actor').toBeDefined();
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  await openEvent(page, ev!.eventID);
  const people = await peopleOf(page, ev!.eventID);
  const person = people.people[0]!;
  const exec = person.actions.find((a) => a.action.auditID === ev!.actor!.auditID)!;
  const cred = person.credentials.find((c) => c.accessKeyId === exec.action.accessKeyId)!;
  expect(cred.resolution!.mechanism).toBe('sso');
  const who = `person:${person.who}`;
  const key = `pkey:${person.who}:0:${cred.accessKeyId}`;
  const root = `proot:${person.who}:${cred.resolution!.principal}`;
  const action = `action:${exec.action.auditID}:exec`;
  await expect.poll(() => nodeIds(page)).toEqual(expect.arrayContaining(['pod', action, who, key, root]));
  expect(selectPeople(ev!.podActors, ev!.actor).people.map((p) => p.who)).toEqual(people.people.map((p) => p.who));
  await page.getByTestId('chain-graph').screenshot({ path: 'test-results/ui/graph-people-exec-1280.png' });

  // The person → key step, clicked where it is drawn: the audit events that name the key.
  await clickEdge(page, `${who}->${key}`);
  await checkStepEvidence(page, `${who}->${key}`, cred.named.records, 'proven');
  // The key → root step: the CloudTrail call made with the key names the Identity Center user.
  await page.locator(`[data-testid="chain-edge"][data-edge="${key}->${root}"]`).click();
  await checkStepEvidence(page, `${key}->${root}`, cred.hops.flatMap((h) => h.records), 'proven');
  // pod → exec and exec → person: the exec's audit event.
  await page.locator(`[data-testid="chain-edge"][data-edge="pod->${action}"]`).click();
  await checkStepEvidence(page, `pod->${action}`, exec.what.records, exec.what.confidence);
  await page.locator(`[data-testid="chain-edge"][data-edge="${action}->${who}"]`).click();
  await checkStepEvidence(page, `${action}->${who}`, exec.who.records, exec.who.confidence);
  await checkGuards(page, guards, allowed());
});

test('past the pod: a CI deploy draws the chained deploy role down to the IAM user, each AssumeRole cited', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const ev = all.find((a) => !a.actor && a.podActors?.length === 1 && a.podActors[0]!.action === 'deploy' && a.podActors[0]!.principal?.includes('github-actions-deployer'));
  expect(ev, 'an event whose pod a CI run deployed').toBeDefined();
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  await openEvent(page, ev!.eventID);
  const person = (await peopleOf(page, ev!.eventID)).people[0]!;
  const cred = person.credentials[0]!;
  const chain = cred.resolution!.chain;
  expect(chain).toHaveLength(3);
  const keys = chain.map((l, i) => `pkey:${person.who}:${i}:${l.accessKeyId}`);
  const root = `proot:${person.who}:${cred.resolution!.principal}`;
  await expect.poll(() => nodeIds(page)).toEqual(expect.arrayContaining([`person:${person.who}`, ...keys, root]));
  await page.getByTestId('chain-graph').screenshot({ path: 'test-results/ui/graph-people-deploy-1280.png' });
  // person → the deploy role's session: issued by AssumeRole (the step reads "key issued"), named by the audit event.
  const first = `person:${person.who}->${keys[0]}`;
  await page.locator(`[data-testid="chain-edge"][data-edge="${first}"]`).click();
  const issued = cred.hops.find((h) => h.rule === 'key-issuance' && h.evidence.includes(chain[0]!.issuedBy!.eventID))!;
  await checkStepEvidence(page, first, [...issued.records, ...cred.named.records], 'proven');
  await expect(page.locator(`[data-testid="chain-edge"][data-edge="${first}"]`)).toHaveText(/key issued · proven$/);
  // role chaining into the deploy role, then the IAM user behind the CI role.
  const chained = `${keys[0]}->${keys[1]}`;
  await page.locator(`[data-testid="chain-edge"][data-edge="${chained}"]`).click();
  await expect(page.locator(`[data-testid="graph-selection"][data-selected="${chained}"]`)).toContainText('AssumeRole');
  await page.locator(`[data-testid="chain-edge"][data-edge="${keys[2]}->${root}"]`).click();
  await checkStepEvidence(page, `${keys[2]}->${root}`, cred.hops.filter((h) => h.rule === 'principal').flatMap((h) => h.records), 'proven');
  await checkGuards(page, guards, allowed());
});

test('the graph engine is made with the first chain drawn, not at the start (where the first rows are on their way)', async ({ page }) => {
  const guards = guard(page);
  await page.goto(url);
  await waitForCase(page);
  // cytoscape registers its instance on its container and adds its canvases there.
  const made = () =>
    page.getByTestId('chain-graph').evaluate((el) => ({ cy: (el as HTMLElement & { _cyreg?: { cy?: unknown } })._cyreg?.cy !== undefined, canvases: el.querySelectorAll('canvas').length }));
  expect(await made()).toEqual({ cy: false, canvases: 0 });
  await expect(page.getByTestId('chain-graph')).toHaveAttribute('data-nodes', '0');
  await openEvent(page, all[0]!.eventID);
  await expect.poll(async () => (await made()).cy).toBe(true);
  expect((await made()).canvases).toBeGreaterThan(0);
  await expect.poll(() => nodeIds(page)).toContain('event');
  await checkGuards(page, guards, allowed());
});
