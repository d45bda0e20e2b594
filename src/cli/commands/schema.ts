import { writeFile } from 'node:fs/promises';
import { pipelineSchema } from '../../pipeline/schema.js';
import { defineCommand } from '../command.js';

export async function runSchema(opts: { output: string | undefined }): Promise<number> {
  const text = `${JSON.stringify(pipelineSchema(), null, 2)}\n`;
  if (opts.output) await writeFile(opts.output, text);
  else process.stdout.write(text);
  return 0;
}

export const schemaCommand = defineCommand({
  command: 'schema',
  describe: 'Write the JSON Schema of pipeline files (for editors)',
  builder: (y) =>
    y.options({ output: { alias: 'o', type: 'string', describe: 'File to write (default: stdout)' } }),
  handler: (args) => runSchema({ output: args.output }),
});
