const t0 = performance.now();
const { ModelClient } = await import('./dist/src/models/worker/modelClient.js');
const t1 = performance.now();
const c = await ModelClient.start('classifier', 'models/classifier', 'wasm');
const t2 = performance.now();
console.log('import', (t1 - t0).toFixed(0), 'start->ready', (t2 - t1).toFixed(0));
await c.close?.();
process.exit(0);
