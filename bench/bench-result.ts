/** What every benchmark answers: rows of figures side by side, and the ratios the issue asks for. */
export interface BenchRow {
  readonly name: string;
  readonly figures: Record<string, number | string>;
}

export interface BenchResult {
  readonly title: string;
  readonly rows: BenchRow[];
  readonly ratios: Record<string, number>;
  readonly extra?: Record<string, unknown>;
}
