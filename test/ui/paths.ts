import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');

/** What demo/make-demo.mjs planted in the demo bundle (demo/demo.json). */
export interface DemoFacts {
  attack: { sourceIPAddress: string; exchangeEventID: string; getSecretValueEventID: string; accessKeyId: string; subject: string };
  hostile: { eventID: string; userAgent: string };
}

export function demoFacts(): DemoFacts {
  return JSON.parse(readFileSync(join(REPO, 'demo', 'demo.json'), 'utf8')) as DemoFacts;
}
