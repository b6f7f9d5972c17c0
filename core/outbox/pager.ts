import type { OnCallTier } from '../config.ts';
import type { Page } from './page-message.ts';

/** Publishes a page to a tier (its SNS topic when deployed). */
export interface Pager {
  page(tier: OnCallTier, page: Page): Promise<void>;
}
