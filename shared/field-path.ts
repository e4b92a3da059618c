/**
 * A field of a raw CloudTrail record by its dotted path (`requestParameters.secretId`): what the table's field
 * columns and `events.query` `fields` accept. Kept apart from api.ts so that the renderer can use it without
 * bundling zod.
 */
export const FIELD_PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;
