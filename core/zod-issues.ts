import type { z } from 'zod';

/**
 * zod's issues as people read them: `path.to.field: message`, `root` where the issue is the whole
 * input, at most `limit` of them. The one formatter every edge uses (configuration adds what it got).
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  options: { root?: string; limit?: number; separator?: string } = {},
): string {
  return issues
    .slice(0, options.limit ?? issues.length)
    .map((issue) => `${issue.path.map(String).join('.') || (options.root ?? '(input)')}: ${issue.message}`)
    .join(options.separator ?? '; ');
}
