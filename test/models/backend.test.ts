import { describe, expect, it } from 'vitest';
import { backendAvailability, tf, useBackend } from '../../src/models/backend.js';
import { BACKEND_CHOICES } from '../../src/models/choices.js';

describe('choosing the backend', () => {
  it('reports wasm, cpu and tensorflow, and says why one is missing', () => {
    const list = backendAvailability();
    expect(list.map((b) => b.name)).toEqual(['wasm', 'cpu', 'tensorflow']);
    expect(list.find((b) => b.name === 'wasm')!.available).toBe(true);
    for (const b of list) expect(b.detail.length).toBeGreaterThan(0);
    expect(BACKEND_CHOICES).toEqual(['auto', 'wasm', 'cpu', 'tensorflow']);
  });

  it('switches between wasm and cpu, and auto takes tensorflow only where it loads', async () => {
    expect(await useBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const tensorflow = backendAvailability().find((b) => b.name === 'tensorflow')!;
    expect(await useBackend('auto')).toBe(tensorflow.available ? 'tensorflow' : 'wasm');
    await useBackend('wasm');
  });

  it('names what is missing when tensorflow is asked for and cannot load', async () => {
    const tensorflow = backendAvailability().find((b) => b.name === 'tensorflow')!;
    if (tensorflow.available) return; // a machine with libtensorflow: nothing to refuse
    await expect(useBackend('tensorflow')).rejects.toMatchObject({
      code: 'E_BACKEND',
      message: expect.stringMatching(/Backend "tensorflow" is not available: .*--backend wasm/),
    });
  });
});
