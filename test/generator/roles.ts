/** Accounts and IAM roles: the smallest pieces of the world, shared by `world.ts` and `population.ts`. */

import type { ResourceCtx } from './catalog';
import { ids } from './ids';
import type { Rng } from './rng';

export type AccountAlias = 'workloads' | 'data' | 'security';

export interface Account {
  alias: AccountAlias;
  id: string;
  /** The 8 characters all access keys and unique ids of this account share after their 4-letter prefix. */
  keyPrefix: string;
  trailBucket: string;
}

export interface Role {
  name: string;
  arn: string;
  /** `AROA…` unique id. */
  id: string;
  account: Account;
}

export function makeRole(rng: Rng, account: Account, name: string, path = '/'): Role {
  return { name, arn: `arn:aws:iam::${account.id}:role${path}${name}`, id: ids.roleId(rng, account.keyPrefix), account };
}

/** Resources one identity touches in one account and region. */
export function resources(rng: Rng, account: Account, region: string, stem: string): ResourceCtx {
  return {
    accountId: account.id,
    region,
    bucket: `${stem}-${account.id}-${region}`,
    table: `${stem}`,
    queue: `${stem}-jobs`,
    secret: `${stem}/credentials-${rng.chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 6)}`,
    kmsKeyId: rng.uuid(),
    param: `/${stem}/config`,
  };
}
