// The agreed result shape of a canary analysis. A `kayentaCanary` stage writes these fields at the top
// level of its outputs; a deploy stage with strategy `canary` writes them under `outputs.canary`.
// The HTML report reads them. Add optional fields only; never rename.

export interface CanaryMetricSide {
  readonly count: number;
  readonly mean: number | null;
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
  /** The series judged, as fetched (null where missing). Only present in the LAST interval, at most 300 points (evenly downsampled). */
  readonly values?: readonly (number | null)[];
}

export interface CanaryMetricSummary {
  readonly name: string;
  readonly groups: readonly string[];
  /** Pass | High | Low | Nodata | Error (Kayenta's labels). */
  readonly classification: string;
  readonly classificationReason?: string;
  readonly critical: boolean;
  /** experiment/control, Kayenta's resultMetadata.ratio. */
  readonly ratio?: number | null;
  /** Mann-Whitney confidence interval. */
  readonly interval?: { readonly lower: number; readonly upper: number } | null;
  /** The rendered query, for the report. */
  readonly query?: string;
  readonly control: CanaryMetricSide;
  readonly experiment: CanaryMetricSide;
}

export interface CanaryIntervalSummary {
  /** 1-based. */
  readonly index: number;
  /** ISO-8601 window of the metrics judged. */
  readonly start: string;
  readonly end: string;
  /** 0-100. */
  readonly score: number;
  /** Pass | Marginal | Fail (scoreClassification). */
  readonly classification: string;
  readonly groupScores: readonly { readonly name: string; readonly score: number }[];
  readonly metrics: readonly CanaryMetricSummary[];
}

export interface CanaryRunOutputs {
  /** One per finished interval (Orca's name). */
  readonly canaryScores: readonly number[];
  /** The last interval's score. */
  readonly overallScore: number | null;
  readonly overallResult: 'success' | 'failure' | 'running';
  /** Why it ended (Orca's name). */
  readonly canaryScoreMessage?: string;
  readonly scoreThresholds: { readonly marginal: number; readonly pass: number };
  readonly controlScope: string;
  readonly experimentScope: string;
  readonly canaryConfigName?: string;
  readonly intervals: readonly CanaryIntervalSummary[];
}
