import { readFileSync } from 'node:fs';

/** The version of ossim (the fixed version of every @ossim package). */
export const OSSIM_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;
