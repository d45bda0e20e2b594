/**
 * What a run reports besides its frames: the records a stage makes (classify's findings per
 * analysed frame and per shot). A stage sends each to the run's `onRecord` (how `vgrade classify`
 * and ingest get them, from the same runtime that grades) as well as to any report file its
 * options name.
 */

/** classify's record of one analysed frame. */
export interface FrameRecord {
  readonly input: string;
  readonly frame: number;
  readonly pts: number | null;
  readonly top: Array<{ label: string; p: number }>;
  readonly amounts: Record<string, number>;
}

/**
 * classify's summary of one shot: the problems that persist through it, as the default grade reads
 * them (what it would undo), and what the amount head alone suspects where the classifier is too
 * unsure for the grade to act (`suspected`: a QC lead, not a finding).
 */
export interface ShotRecord {
  readonly input: string;
  readonly shot: number;
  readonly from: { frame: number; pts: number | null };
  readonly to: { frame: number; pts: number | null };
  readonly analysed: number;
  readonly problems: Array<{ family: string; amount: number; share: number }>;
  readonly suspected: Array<{ family: string; amount: number; share: number }>;
  /**
   * With classify's `white_balance`: the white balance off that the default grade would take off
   * (the white-balance reader's read on the frame as the inverse leaves it, beyond the tolerance)
   * on at least half the frames read: the mean cast (ln R/G, ln B/G of its gains), the colour
   * temperature of a light that casts it, and the share of the reads; null where none persists.
   */
  readonly white?: { kelvin: number; cast: [number, number]; share: number } | null;
}

/** A record and the stage that made it. */
export type RunRecord = { readonly stage: 'classify'; readonly record: FrameRecord | ShotRecord };

/** Whether a classify record is a shot's summary. */
export function isShotRecord(record: FrameRecord | ShotRecord): record is ShotRecord {
  return 'shot' in record;
}
