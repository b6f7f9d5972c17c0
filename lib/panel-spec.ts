/** One query of a panel: the PromQL and its legend. */
export interface PanelQuery {
  readonly expr: string;
  readonly legend: string;
}

/** A panel as data: what the query test runs and what the builder draws. */
export interface PanelSpec {
  readonly id: number;
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly PanelQuery[];
  /** The table row whose levels are this panel's threshold lines. */
  readonly threshold?: string;
  /** A single figure (stat) rather than a time series. */
  readonly kind?: 'stat';
  /** Colour steps of a panel that is no table row (an SLO's). */
  readonly steps?: ReadonlyArray<{ value: number | null; color: string }>;
  readonly description?: string;
}
