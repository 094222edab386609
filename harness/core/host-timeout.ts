// A host's time limit, in seconds on a native row (emulated rows scale it):
// the default and the bound every way of setting it shares (--timeout, a
// config file's timeout, a case's run.timeout). cases/case.schema.json and
// harness/config.schema.json state the bound too (JSON cannot import);
// test/unit/schema-facts.test.ts holds them to this one.

/** When neither --timeout nor the case's run.timeout says. */
export const DEFAULT_HOST_TIMEOUT_S = 30;
/** The most any of them may say. */
export const MAX_HOST_TIMEOUT_S = 3600;
