import { writeFile } from 'node:fs/promises';
import { pipelineSchema } from '../../pipeline/schema.js';

export async function runSchema(opts: { output: string | undefined }): Promise<number> {
  const text = `${JSON.stringify(pipelineSchema(), null, 2)}\n`;
  if (opts.output) await writeFile(opts.output, text);
  else process.stdout.write(text);
  return 0;
}
