/** The search box's grammar and its exact matchers (service/search-terms.ts). */
import { describe, expect, it } from 'vitest';
import { fieldMatches, parseSearch, requiredTokens, searchesRaw, textMatches, valuesAt, type SearchTerm } from '../../../electron/engine/service/search-terms';

const field = (text: string) => {
  const [t] = parseSearch(text);
  if (t?.kind !== 'field') throw new Error(`not a field term: ${text}`);
  return t;
};

const record = {
  eventName: 'GetSecretValue',
  userIdentity: { arn: 'arn:aws:sts::111122223333:assumed-role/payments-api/botocore-session-1', accessKeyId: 'ASIAXAMPLE' },
  requestParameters: { secretId: 'prod/db/password', versionStage: 'AWSCURRENT', maxResults: 100, flag: true },
  resources: [
    { ARN: 'arn:aws:s3:::prod-exports', type: 'AWS::S3::Bucket' },
    { ARN: 'arn:aws:s3:::dev-scratch', type: 'AWS::S3::Bucket' },
  ],
  responseElements: null,
};

describe('search terms', () => {
  it('reads `path:glob` terms (dotted paths and top-level fields) and leaves the rest as one phrase, as typed', () => {
    expect(parseSearch('  requestParameters.secretId:prod/*  ')).toEqual([{ kind: 'field', path: ['requestParameters', 'secretId'], pattern: 'prod/*', key: 'f\0requestparameters.secretid\0prod/*' }]);
    expect(parseSearch('eventName:Get* payments  api requestParameters.secretId:"a b"').map((t) => (t.kind === 'text' ? t.text : `${t.path.join('.')}=${t.pattern}`))).toEqual([
      'payments  api',
      'eventName=Get*',
      'requestParameters.secretId=a b',
    ]);
    // Not field terms: an ARN, a time, an IPv6 address, markup with quotes — the whole text is the phrase.
    for (const text of ['arn:aws:iam::111122223333:role/x', '2026-03-02T01:51:31Z', 'fe80::1', '<img src=x onerror="window.__pwned=1">', 'secretId:prod']) {
      expect(parseSearch(text)).toEqual([{ kind: 'text', text, key: `t\0${text.replace(/[A-Z]/g, (c) => c.toLowerCase())}` }]);
    }
    expect(parseSearch('   ')).toEqual([]);
  });

  it('matches a field glob against the whole value, ignoring ASCII case only', () => {
    expect(fieldMatches(field('requestParameters.secretId:prod/*'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters.secretId:PROD/DB/*'), record)).toBe(true);
    expect(fieldMatches(field('requestparameters.SECRETID:prod/db/password'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters.secretId:prod'), record)).toBe(false); // whole value, not a prefix
    expect(fieldMatches(field('requestParameters.secretId:rod/*'), record)).toBe(false);
    expect(fieldMatches(field('requestParameters.secretId:*/password'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters.secretId:prod/??/password'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters.secretId:prod/?/password'), record)).toBe(false);
    expect(fieldMatches(field('requestParameters.secretId:prod.db.password'), record)).toBe(false); // `.` is literal
    expect(fieldMatches(field('requestParameters.versionStage:AWSCURRENT'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters.versionStage:AWSPREVIOUS'), record)).toBe(false);
    // A different field holding the value does not match.
    expect(fieldMatches(field('requestParameters.versionStage:prod/*'), record)).toBe(false);
    // Arrays are looked through; numbers and booleans as their text; an object stands for every value under it.
    expect(fieldMatches(field('resources.ARN:arn:aws:s3:::dev-*'), record)).toBe(true);
    expect(fieldMatches(field('resources.ARN:arn:aws:s3:::qa-*'), record)).toBe(false);
    expect(fieldMatches(field('requestParameters.maxResults:100'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters.maxResults:10'), record)).toBe(false);
    expect(fieldMatches(field('requestParameters.flag:true'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters:AWSCUR*'), record)).toBe(true);
    expect(fieldMatches(field('userIdentity.arn:arn:aws:sts::111122223333:assumed-role/payments-api/*'), record)).toBe(true);
    expect(fieldMatches(field('requestParameters.missing:*'), record)).toBe(false);
    // Non-ASCII letters are compared as they are.
    expect(fieldMatches(field('requestParameters.secretId:*'), { requestParameters: { secretId: 'ÉTÉ' } })).toBe(true);
    expect(fieldMatches(field('requestParameters.secretId:été'), { requestParameters: { secretId: 'ÉTÉ' } })).toBe(false);
    expect(valuesAt(record, ['resources', 'type'])).toEqual(['AWS::S3::Bucket', 'AWS::S3::Bucket']);
  });

  it('matches free text on whole tokens of the record text', () => {
    const text = JSON.stringify(record);
    expect(textMatches('prod/db', text)).toBe(true);
    expect(textMatches('PAYMENTS-API', text)).toBe(true);
    expect(textMatches('db/password', text)).toBe(true);
    expect(textMatches('rod/db', text)).toBe(false); // starts inside "prod"
    expect(textMatches('prod/d', text)).toBe(false); // ends inside "db"
    expect(textMatches('/db/', text)).toBe(true); // starts and ends with separators
    expect(textMatches('dev-scratch', text)).toBe(true);
    expect(textMatches('scratch-dev', text)).toBe(false);
  });

  it('requires of a block only tokens every match holds: none cut by a wildcard, none a number could print differently', () => {
    const req = (t: SearchTerm) => requiredTokens(t).sort();
    expect(req(field('requestParameters.secretId:prod/*'))).toEqual(['prod', 'requestparameters', 'secretid']);
    expect(req(field('requestParameters.secretId:*ro?d/db-x*'))).toEqual(['db', 'requestparameters', 'secretid']);
    expect(req(field('requestParameters.maxResults:100'))).toEqual(['maxresults', 'requestparameters']);
    expect(req(parseSearch('Prod-East checkout')[0]!)).toEqual(['checkout', 'east', 'prod']);
    expect(searchesRaw(parseSearch('::')[0]!)).toBe(false);
  });
});
