// Writes snippets/imagetrainer.schema.json from the config field description.
// Run: node --import tsx scripts/generateSchema.ts        (--check: exit 1 if the file is out of date)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchemaText } from '../src/core/configSchema';

export const SCHEMA_PATH = join(__dirname, '..', 'snippets', 'imagetrainer.schema.json');

function main(): void {
  const text = configSchemaText();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SCHEMA_PATH, 'utf8');
    } catch {
      // A missing file is simply out of date.
    }
    // Compared as JSON: reformatting the file is not drift.
    if (!sameJson(current, text)) {
      console.error(`${SCHEMA_PATH} is out of date: run node --import tsx scripts/generateSchema.ts`);
      process.exit(1);
    }
    console.log(`${SCHEMA_PATH} is up to date`);
    return;
  }
  writeFileSync(SCHEMA_PATH, text);
  console.log(`wrote ${SCHEMA_PATH} (${text.length} bytes)`);
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

main();
