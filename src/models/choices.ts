/** The backends a user can name (kept apart from backend.ts so the CLI can list them without loading TensorFlow.js). */
export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
