// Writes config.schema.json and docs/configuration.md from the configuration's zod schema.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema, configReference } from '../core/config-schema.ts';

const root = join(import.meta.dirname, '..');
writeFileSync(join(root, 'config.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
writeFileSync(join(root, 'docs', 'configuration.md'), configReference());
console.log('wrote config.schema.json and docs/configuration.md');
