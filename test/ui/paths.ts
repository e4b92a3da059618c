import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');

/** What demo/make-demo.mjs planted in the demo bundle (demo/demo.json). */
export interface DemoFacts {
  attack: { sourceIPAddress: string; exchangeEventID: string; getSecretValueEventID: string; accessKeyId: string; subject: string };
  hostile: {
    eventID: string;
    userAgent: string;
    /** The hostile chain (test/generator/hostile.ts through the stolen session). */
    assumeRole: { eventID: string; roleArn: string; sessionName: string; accessKeyId: string };
    events: { eventID: string; hostile: string }[];
    hugeEventID: string;
  };
  /** Events in the demo case. */
  caseEvents: number;
}

export function demoFacts(): DemoFacts {
  return JSON.parse(readFileSync(join(REPO, 'demo', 'demo.json'), 'utf8')) as DemoFacts;
}
