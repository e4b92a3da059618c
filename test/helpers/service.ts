/** The engine behind the API table (CaseService) on a generated bundle, ingested the way the app does it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaseService } from '../../electron/engine/service/case-service';
import { generateBundle, type GenerateOptions } from '../generator';

export interface ServiceHarness {
  service: CaseService;
  /** Every push event, in order. */
  pushes: { name: string; payload: unknown }[];
  bundle: string;
  casePath: string;
  /** Dispatch one API call; a failure throws with its code and message. */
  ok<T>(name: string, input: unknown): Promise<T>;
}

/** Generate a bundle, open a new case on it, start ingest through the API and wait for `ingest.done`. */
export async function ingestedService(label: string, bundle: Omit<GenerateOptions, 'outDir'>): Promise<ServiceHarness> {
  const dir = mkdtempSync(join(tmpdir(), `podtrail-${label}-`));
  const outDir = generateBundle({ outDir: join(dir, 'bundle'), ...bundle }).outDir;
  const pushes: ServiceHarness['pushes'] = [];
  const casePath = join(dir, 'case.db');
  const service = CaseService.open(casePath, (name, payload) => pushes.push({ name, payload }));
  const ok = async <T>(name: string, input: unknown): Promise<T> => {
    const r = await service.dispatch(name, input);
    if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
    return r.value as T;
  };
  await ok('ingest.start', { paths: [outDir] });
  await ingestDone(pushes);
  return { service, pushes, bundle: outDir, casePath, ok };
}

/** Resolves once the service has pushed `ingest.done`. */
export function ingestDone(pushes: readonly { name: string }[]): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (pushes.some((p) => p.name === 'ingest.done')) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
}
